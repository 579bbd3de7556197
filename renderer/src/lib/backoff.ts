const BASE_MS = 500;
const MAX_MS = 15_000;

/**
 * Delay before reconnect attempt `attempt` (0 = first): doubling from 0.5 s up to 15 s, with ±20 %
 * jitter so that many open tabs do not all knock on a restarted host in the same millisecond.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const raw = Math.min(MAX_MS, BASE_MS * 2 ** Math.max(0, Math.min(attempt, 10)));
  const jitter = 0.8 + random() * 0.4;
  return Math.round(Math.min(MAX_MS, raw * jitter));
}

/** Whole seconds left until `at`, never below 0 ("reconnecting in N s"). */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** "retrying in 4 s", or "retrying now" once the moment has come (the next snapshot brings the next one). */
export function retryText(retryAt: number | null, now: number): string {
  if (retryAt == null) return 'retrying';
  const s = secondsUntil(retryAt, now);
  return s > 0 ? `retrying in ${s} s` : 'retrying now';
}
