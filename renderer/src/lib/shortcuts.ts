/**
 * The views and the keys that reach them. A "drone" view shows the drone picked in the switcher; a
 * "queue" view the whole global queue that drone works on (the same for every drone on that database).
 * Keys: a digit, in the keyboard's order "1"–"9" then "0", or "g"
 * then a letter (as in Gmail / GitHub). There are more views than digits: the last has only its letter.
 */

export const VIEWS = [
  { id: 'overview', scope: 'drone', label: 'Overview', digit: '1', letter: 'o' },
  { id: 'pipeline', scope: 'drone', label: 'Pipeline', digit: '2', letter: 'p' },
  { id: 'tasks', scope: 'drone', label: 'Tasks', digit: '3', letter: 't' },
  { id: 'trace', scope: 'drone', label: 'Trace', digit: '4', letter: 'r' },
  { id: 'workers', scope: 'drone', label: 'Workers', digit: '5', letter: 'w' },
  { id: 'logs', scope: 'drone', label: 'Logs', digit: '6', letter: 'l' },
  { id: 'enqueue', scope: 'drone', label: 'Enqueue', digit: '7', letter: 'e' },
  { id: 'failures', scope: 'queue', label: 'Failures', digit: '8', letter: 'f' },
  { id: 'config', scope: 'drone', label: 'Config', digit: '9', letter: 'c' },
  { id: 'queue', scope: 'queue', label: 'Queue', digit: '0', letter: 'q' },
  { id: 'fleet', scope: 'queue', label: 'Fleet', digit: null, letter: 'd' },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];

export function isViewId(s: string): s is ViewId {
  return VIEWS.some((v) => v.id === s);
}

/** The address of a view: "#/logs", and "#/trace/1234" for a trace, so a link or a reload lands there. */
export function viewHash(view: ViewId, traceId: string | null): string {
  return view === 'trace' && traceId ? `#/trace/${traceId}` : `#/${view}`;
}

export function parseViewHash(hash: string): { view: ViewId; traceId: string | null } | null {
  const m = /^#?\/?([a-z]+)(?:\/([0-9]{1,19}))?$/.exec(hash);
  if (!m || !isViewId(m[1])) return null;
  return { view: m[1], traceId: m[1] === 'trace' ? (m[2] ?? null) : null };
}

export type ShortcutAction = { kind: 'view'; view: ViewId } | { kind: 'help' } | { kind: 'close' };

const G_TIMEOUT_MS = 1500;

/** Turns key presses (outside text fields) into actions; remembers a pending "g" for a moment. */
export class ShortcutReader {
  private gAt: number | null = null;

  feed(key: string, now: number): ShortcutAction | null {
    const afterG = this.gAt !== null && now - this.gAt <= G_TIMEOUT_MS;
    this.gAt = null;
    if (afterG) {
      const v = VIEWS.find((x) => x.letter === key.toLowerCase());
      if (v) return { kind: 'view', view: v.id };
    }
    if (key === 'g') {
      this.gAt = now;
      return null;
    }
    if (key === '?') return { kind: 'help' };
    if (key === 'Escape') return { kind: 'close' };
    const byDigit = VIEWS.find((x) => x.digit === key);
    return byDigit ? { kind: 'view', view: byDigit.id } : null;
  }
}
