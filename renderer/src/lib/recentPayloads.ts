/** The last payloads sent per task type, remembered across sessions (localStorage in the app). */

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export type RecentPayloads = Record<string, string[]>;

export const RECENT_KEY = 'swarmage.recentPayloads.v1';
export const RECENT_PER_TYPE = 20;
/** Bigger payloads are not worth a slot: localStorage is small (~5 MB per origin) and shared. */
export const RECENT_MAX_CHARS = 16_384;
const MAX_TYPES = 100;

export function loadRecent(store: KeyValueStore | null, key = RECENT_KEY): RecentPayloads {
  if (!store) return {};
  try {
    const raw = store.getItem(key);
    if (!raw) return {};
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const out: RecentPayloads = {};
    for (const [type, list] of Object.entries(parsed)) {
      if (Array.isArray(list)) out[type] = list.filter((x): x is string => typeof x === 'string').slice(0, RECENT_PER_TYPE);
    }
    return out;
  } catch {
    return {};
  }
}

/** Puts `text` first for `type` (moving it up if it was there), keeping at most `limit` per type. */
export function addRecent(all: RecentPayloads, type: string, text: string, limit = RECENT_PER_TYPE): RecentPayloads {
  const payload = text.trim();
  if (!type || payload === '' || payload.length > RECENT_MAX_CHARS) return all;
  const list = [payload, ...(all[type] ?? []).filter((p) => p !== payload)].slice(0, limit);
  const next: RecentPayloads = { [type]: list };
  // Most recently used types first, so trimming the type count drops the stalest.
  for (const [t, l] of Object.entries(all)) if (t !== type && Object.keys(next).length < MAX_TYPES) next[t] = l;
  return next;
}

export function saveRecent(store: KeyValueStore | null, all: RecentPayloads, key = RECENT_KEY): void {
  if (!store) return;
  try {
    store.setItem(key, JSON.stringify(all));
  } catch {
    // Quota exceeded or storage disabled: remembering payloads is a convenience, not worth an error.
  }
}
