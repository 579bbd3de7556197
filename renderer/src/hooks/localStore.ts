import type { KeyValueStore } from '../lib/recentPayloads.js';

/** The page's localStorage, or null where reading it throws (storage disabled, a sandboxed frame). */
export function localStore(): KeyValueStore | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
