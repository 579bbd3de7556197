import pg from 'pg';
import { migrate } from './migrate.js';
import { enqueueTasks } from './enqueue.js';
import { claimTasks, namedStatementLost } from './claim.js';
import { redactUrl } from '../../util/redact.js';
import { completeTasks } from './complete.js';
import { failTasks } from './fail.js';
import { reclaimTasks, releaseAllExcept, releaseTasks } from './release.js';
import { deregister, heartbeat, rescueExpired } from './leases.js';
import { deleteFailed, failureGroups, listFailed, retryFailed } from './failures.js';
import { countType, databaseClock, overviewTypes } from './overview.js';
import { fleet } from './fleet.js';
import { browseTasks, cancelTasks, findTask, postbacksOf, runTasksNow } from './tasks.js';
import { takePostbacks } from './postback.js';
import { taskProgress } from './progress.js';
import { TaskListener } from './listener.js';
import { quoteIdent } from './sql.js';
import type { FailedTask, FailureGroup, FleetDrone, GlobalTask, QueueTypeRow } from '../../api/types.js';
import type { BrowseQuery, FailedFilter, FailedSelection, GlobalQueue } from '../globalQueue.js';
import type { ClaimRequest, ClaimedTask, Completion, DroneRow, Failure, NewTask, ResumePoint, TaskProgress } from '../types.js';

// int8 ids stay strings (they can exceed 2^53); timestamps stay Dates.
export interface PgQueueOptions {
  connectionString: string;
  schema?: string;
  poolSize?: number;
  /** Called when a pooled connection fails in the background (the pool replaces it). */
  onError?: (err: Error) => void;
  /** Called once with what the queue found out about its connection (named statements lost behind a pooler). */
  onNotice?: (msg: string) => void;
  /** Claims commit without waiting for the disk (config queue.config.asyncClaimCommit). */
  asyncClaimCommit?: boolean;
  /**
   * A direct (or session-pooled) connection for LISTEN only, when connectionString goes through a
   * pooler in transaction mode, which does not pass notifications on.
   */
  listenConnectionString?: string;
}

/**
 * The global queue on Postgres. Every operation is one unnamed statement over the pool, and nothing
 * is set on a connection's session: the same code is right on a direct connection and behind a
 * pooler in transaction mode, and a pooled server connection goes back to the pool as it came.
 */
export class PgQueue implements GlobalQueue {
  readonly schema: string;
  readonly pool: pg.Pool;
  /**
   * The operator's views and actions (overview, fleet, failures, browsing) on connections of their
   * own, opened on first use and closed when idle: a UI refreshing never makes a claim or an
   * acknowledgement wait for a connection, nor waits behind them.
   */
  readonly inspectPool: pg.Pool;
  readonly connectionString: string;
  private readonly listenConnectionString: string | undefined;
  private readonly asyncClaimCommit: boolean;
  /** Claims go as named statements until Postgres says they do not survive between transactions. */
  private namedClaims = true;
  private readonly onNotice: (msg: string) => void;

  constructor(opts: PgQueueOptions) {
    this.schema = opts.schema ?? 'swarmage';
    quoteIdent(this.schema);
    this.connectionString = opts.connectionString;
    this.listenConnectionString = opts.listenConnectionString;
    this.asyncClaimCommit = opts.asyncClaimCommit ?? false;
    this.onNotice = opts.onNotice ?? (() => {});
    this.pool = this.newPool(opts.poolSize ?? 4, opts.onError);
    this.inspectPool = this.newPool(2, opts.onError);
  }

  private newPool(max: number, onError?: (err: Error) => void): pg.Pool {
    const pool = new pg.Pool({ connectionString: this.connectionString, max, keepAlive: true, connectionTimeoutMillis: 10_000 });
    pool.on('error', (err) => onError?.(err));
    return pool;
  }

  async migrate(): Promise<number[]> {
    const client = await this.pool.connect();
    try {
      return await migrate(client, this.schema);
    } finally {
      client.release();
    }
  }

  enqueue(tasks: NewTask[]): Promise<string[]> {
    return enqueueTasks(this.pool, this.schema, tasks);
  }
  async claim(droneId: string, wants: ClaimRequest[], leaseMs: number, ackIds: string[] = []): Promise<ClaimedTask[]> {
    const named = this.namedClaims;
    try {
      return await claimTasks(this.pool, this.schema, droneId, wants, leaseMs, ackIds, this.asyncClaimCommit, named);
    } catch (err) {
      if (!named || !namedStatementLost(err)) throw err;
      // The statement failed before it ran (at Parse or Bind), so running it again claims nothing twice.
      if (this.namedClaims) {
        this.namedClaims = false;
        this.onNotice(
          `named prepared statements do not last from one transaction to the next on ${redactUrl(this.connectionString)} ` +
            `(a connection pooler in transaction mode?): claims go as unnamed statements from now on (Postgres said: ${(err as Error).message})`,
        );
      }
      return claimTasks(this.pool, this.schema, droneId, wants, leaseMs, ackIds, this.asyncClaimCommit, false);
    }
  }

  /** Whether claims still go as named statements (false once a pooler was found to lose them). */
  get claimsNamed(): boolean {
    return this.namedClaims;
  }
  complete(droneId: string, done: Completion[]) {
    return completeTasks(this.pool, this.schema, droneId, done);
  }
  fail(droneId: string, failures: Failure[]) {
    return failTasks(this.pool, this.schema, droneId, failures);
  }
  release(droneId: string, ids: string[], resumeAt?: ResumePoint[]): Promise<number> {
    return releaseTasks(this.pool, this.schema, droneId, ids, resumeAt);
  }
  releaseAllExcept(droneId: string, keep: string[]): Promise<number> {
    return releaseAllExcept(this.pool, this.schema, droneId, keep);
  }
  reclaim(droneId: string, ids: string[], leaseMs: number): Promise<Set<string>> {
    return reclaimTasks(this.pool, this.schema, droneId, ids, leaseMs);
  }
  heartbeat(drone: DroneRow, leaseMs: number, held?: string[]): Promise<number> {
    return heartbeat(this.pool, this.schema, drone, leaseMs, held);
  }
  rescueExpired(): Promise<string[]> {
    return rescueExpired(this.pool, this.schema);
  }
  deregister(droneId: string): Promise<void> {
    return deregister(this.pool, this.schema, droneId);
  }
  overview(cap: number): Promise<QueueTypeRow[]> {
    return overviewTypes(this.inspectPool, this.schema, cap);
  }
  countType(type: string) {
    return countType(this.inspectPool, this.schema, type);
  }
  fleet(): Promise<FleetDrone[]> {
    return fleet(this.inspectPool, this.schema);
  }
  clock(): Promise<number> {
    return databaseClock(this.pool);
  }
  failureGroups(filter: FailedFilter, limit?: number): Promise<FailureGroup[]> {
    return failureGroups(this.inspectPool, this.schema, filter, limit);
  }
  listFailed(opts?: FailedFilter & { afterId?: string; limit?: number }): Promise<FailedTask[]> {
    return listFailed(this.inspectPool, this.schema, opts);
  }
  retryFailed(sel: FailedSelection): Promise<string[]> {
    return retryFailed(this.inspectPool, this.schema, sel);
  }
  deleteFailed(sel: FailedSelection): Promise<string[]> {
    return deleteFailed(this.inspectPool, this.schema, sel);
  }
  findTask(id: string): Promise<GlobalTask | null> {
    return findTask(this.inspectPool, this.schema, id);
  }
  postbacksOf(id: string): Promise<GlobalTask[]> {
    return postbacksOf(this.inspectPool, this.schema, id);
  }
  browse(q: BrowseQuery): Promise<{ tasks: GlobalTask[]; next: string | null }> {
    return browseTasks(this.inspectPool, this.schema, q);
  }
  cancel(ids: string[]): Promise<string[]> {
    return cancelTasks(this.inspectPool, this.schema, ids);
  }
  runNow(ids: string[]): Promise<string[]> {
    return runTasksNow(this.inspectPool, this.schema, ids);
  }
  takePostbacks(type: string, limit: number) {
    return takePostbacks(this.pool, this.schema, type, limit);
  }
  progress(ids: string[], type: string): Promise<TaskProgress> {
    return taskProgress(this.pool, this.schema, ids, type);
  }
  fileId(droneId: string): string {
    return droneId;
  }
  /** Where a LISTEN goes: the connection given for it, else the queue's own. */
  get listenUrl(): string {
    return this.listenConnectionString ?? this.connectionString;
  }

  wakeups(opts: { check?: boolean } = {}): TaskListener {
    return new TaskListener({
      connectionString: this.listenUrl,
      direct: this.listenConnectionString !== undefined,
      schema: this.schema,
      // Through the pool, the way every enqueuer's NOTIFY travels.
      sendProbe: opts.check === false ? undefined : (channel, payload) => this.pool.query('SELECT pg_notify($1, $2)', [channel, payload]).then(() => {}),
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.inspectPool.end()]);
  }
}
