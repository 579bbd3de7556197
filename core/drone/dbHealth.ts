import type { DatabaseState, DroneSnapshot } from '../api/types.js';
import type { Logger } from '../log/logger.js';
import { LogThrottle } from '../log/throttle.js';
import { classifyDatabaseError, isTransient, type DatabaseFailure } from './dbErrors.js';
import { reason } from '../util/redact.js';

type Link = 'connected' | 'unreachable' | 'timeout';

/**
 * Whether the global queue's database answers, as the drone last saw it: what the snapshot shows
 * and what the log says, once per change rather than once per failed query. Each failure is told
 * as what it is (dbErrors.ts): only a connection failure makes the database "unreachable".
 */
export class DatabaseHealth {
  /** The connection level. Unreachable until the first round trip (without an error to show). */
  private link: Link = 'unreachable';
  private linkError: string | null = null;
  /**
   * Statements Postgres refused, by operation, until that operation next succeeds: one operation
   * failing while the others work must not flicker between error and connected.
   */
  private readonly refused = new Map<string, string>();
  private retryAt: number | null = null;
  private loggedAt = 0;
  private readonly refusals = new LogThrottle();

  /** `url` without its password; `log` is read at each use (the drone's logger gains its id at start). */
  constructor(
    private readonly url: string,
    private readonly log: () => Logger,
    private readonly defaultRetryMs: number,
    private readonly changed: () => void,
  ) {}

  /** `operation` (heartbeat, claim, …) got its answer. */
  up(operation: string): void {
    const cleared = this.refused.delete(operation);
    if (this.link === 'connected' && !cleared) return;
    this.linkUp();
    if (this.refused.size === 0) this.retryAt = null;
    this.changed();
  }

  /** `operation` failed with `err`; the drone tries again in about `retryMs`. */
  down(err: unknown, operation: string, retryMs = this.defaultRetryMs): void {
    const failure = classifyDatabaseError(err);
    if (failure.kind === 'error') this.refusedBy(operation, failure);
    else this.linkDown(failure, operation, retryMs);
    this.retryAt = Date.now() + retryMs;
    this.changed();
  }

  /**
   * A pooled connection failed while idle. No statement of the drone's was refused, so only a
   * failure of the connection counts against the database; anything else is a line in the log.
   */
  idleConnectionFailed(err: unknown): void {
    if (isTransient(err)) this.down(err, 'an idle connection');
    else this.log().warn(`an idle database connection failed: ${reason(err)}`);
  }

  private linkUp(): void {
    if (this.link === 'connected') return;
    // Only after a spell the log told of: not on the first contact.
    if (this.linkError) this.log().info(`database ${this.link === 'timeout' ? 'answering' : 'reachable'} again: ${this.url}`);
    this.link = 'connected';
    this.linkError = null;
  }

  private linkDown(failure: Exclude<DatabaseFailure, { kind: 'error' }>, operation: string, retryMs: number): void {
    const msg = failure.message;
    // Once when it goes away or changes kind; then only when the reason changes, at most every 10 s
    // (a broken connection fails every query in flight, each with its own wording).
    if (this.link === 'connected' || this.link !== failure.kind || (this.linkError !== msg && Date.now() - this.loggedAt > 10_000)) {
      this.loggedAt = Date.now();
      const retry = `retrying in ${Math.round(retryMs / 100) / 10} s`;
      // A gateway's link errors name it already: not twice.
      const at = msg.includes(this.url) ? '' : `${this.url}: `;
      this.log().error(
        failure.kind === 'unreachable'
          ? `database unreachable: ${at}${msg}; ${retry}`
          : failure.ms !== null
            ? `database not answering within ${failure.ms} ms (${operation}): ${this.url}; ${retry}`
            : `database not answering (${operation}): ${at}${msg}; ${retry}`,
      );
    }
    this.link = failure.kind;
    this.linkError = msg;
  }

  /** Postgres answered with an error: it is reachable, and what it refused is the problem to show. */
  private refusedBy(operation: string, failure: Extract<DatabaseFailure, { kind: 'error' }>): void {
    this.linkUp();
    const what = `${operation}: ${failure.message}${failure.sqlstate ? ` (SQLSTATE ${failure.sqlstate})` : ''}`;
    if (this.refused.get(operation) !== what && this.refusals.due(operation)) this.log().error(`database error in ${what}`);
    // Last in the map: the newest refusal is the one the snapshot shows.
    this.refused.delete(operation);
    this.refused.set(operation, what);
  }

  /**
   * Runs `attempt` until it succeeds, backing off from 0.5 s to 10 s while the database is
   * unreachable or not answering; any other error, or `stopped()` turning true, ends it with an error.
   */
  async retryUntilUp(attempt: () => Promise<void>, stopped: () => boolean): Promise<void> {
    let delay = 500;
    for (;;) {
      try {
        await attempt();
        this.up('start');
        return;
      } catch (err) {
        if (!isTransient(err)) throw new Error(`database ${this.url}: ${reason(err)}`);
        this.down(err, 'start', delay);
        if (stopped()) throw new Error('stopped before the database was reachable');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  view(): Omit<DroneSnapshot['database'], 'source'> {
    const state: DatabaseState = this.link !== 'connected' ? this.link : this.refused.size > 0 ? 'error' : 'connected';
    const lastError = this.link !== 'connected' ? this.linkError : ([...this.refused.values()].at(-1) ?? null);
    return { url: this.url, connected: this.link === 'connected', lastError, retryAt: state === 'connected' ? null : this.retryAt, state };
  }
}
