import type { DroneSnapshot } from '../api/types.js';
import type { Logger } from '../log/logger.js';
import { reason } from '../util/redact.js';

/**
 * Whether the global queue's database answers, as the drone last saw it: what the snapshot shows
 * and what the log says, once per change rather than once per failed query.
 */
export class DatabaseHealth {
  private connected = false;
  private lastError: string | null = null;
  private retryAt: number | null = null;
  private loggedAt = 0;

  /** `url` without its password; `log` is read at each use (the drone's logger gains its id at start). */
  constructor(
    private readonly url: string,
    private readonly log: () => Logger,
    private readonly defaultRetryMs: number,
    private readonly changed: () => void,
  ) {}

  up(): void {
    if (this.connected) return;
    if (this.lastError) this.log().info(`database reachable again: ${this.url}`);
    this.connected = true;
    this.lastError = null;
    this.retryAt = null;
    this.changed();
  }

  down(err: Error, retryMs = this.defaultRetryMs): void {
    const msg = reason(err);
    // Once when it goes away; then only when the reason changes, at most every 10 s (a broken
    // connection fails every query in flight, each with its own wording).
    if (this.connected || (this.lastError !== msg && Date.now() - this.loggedAt > 10_000)) {
      this.loggedAt = Date.now();
      this.log().error(`database unreachable: ${this.url}: ${msg}; retrying in ${Math.round(retryMs / 100) / 10} s`);
    }
    this.connected = false;
    this.lastError = msg;
    this.retryAt = Date.now() + retryMs;
    this.changed();
  }

  /**
   * Runs `attempt` until it succeeds, backing off from 0.5 s to 10 s while the database is
   * unreachable; any other error, or `stopped()` turning true, ends it with an error.
   */
  async retryUntilUp(attempt: () => Promise<void>, stopped: () => boolean): Promise<void> {
    let delay = 500;
    for (;;) {
      try {
        await attempt();
        this.up();
        return;
      } catch (err) {
        if (!isConnectionError(err)) throw new Error(`database ${this.url}: ${reason(err)}`);
        this.down(err as Error, delay);
        if (stopped()) throw new Error('stopped before the database was reachable');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  view(): Omit<DroneSnapshot['database'], 'source'> {
    return { url: this.url, connected: this.connected, lastError: this.lastError, retryAt: this.retryAt };
  }
}

/** Errors that mean "the database is not there right now", as opposed to a bug or bad SQL. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (!e) return false;
  // ENOENT: a Unix socket (the embedded server's) that is gone while its server is down.
  if (
    typeof e.code === 'string' &&
    (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN|ENOENT)$/.test(e.code) || /^(08|57P0)/.test(e.code))
  )
    return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|the database system is (starting up|shutting down)|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}
