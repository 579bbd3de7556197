import pg from 'pg';
import { migrate } from './migrate.js';
import { enqueueTasks } from './enqueue.js';
import { claimTasks } from './claim.js';
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
  /** Claims on a connection of their own whose commits do not wait for the disk (config queue.config.asyncClaimCommit). */
  asyncClaimCommit?: boolean;
}

/** The global queue on Postgres. Every operation is one statement over the pool. */
export class PgQueue implements GlobalQueue {
  readonly schema: string;
  readonly pool: pg.Pool;
  /** Where claims go: the pool, or with asyncClaimCommit a connection of their own. */
  readonly claimPool: pg.Pool;
  /**
   * The operator's views and actions (overview, fleet, failures, browsing) on connections of their
   * own, opened on first use and closed when idle: a UI refreshing never makes a claim or an
   * acknowledgement wait for a connection, nor waits behind them.
   */
  readonly inspectPool: pg.Pool;
  readonly connectionString: string;

  constructor(opts: PgQueueOptions) {
    this.schema = opts.schema ?? 'swarmage';
    quoteIdent(this.schema);
    this.connectionString = opts.connectionString;
    this.pool = this.newPool(opts.poolSize ?? 4, [], opts.onError);
    // A drone claims one statement at a time, so one connection. Its commits return before the WAL
    // is flushed: after a crash of Postgres (not of the drone) the last claims may be gone, and
    // their tasks, which the drone may have run, are claimed and run again.
    this.inspectPool = this.newPool(2, [], opts.onError);
    this.claimPool = opts.asyncClaimCommit ? this.newPool(1, ['SET synchronous_commit = off'], opts.onError) : this.pool;
  }

  private newPool(max: number, settings: string[], onError?: (err: Error) => void): pg.Pool {
    // After a few runs of a prepared statement Postgres may settle on one generic plan, made with
    // the table as it was then: a drone polling an empty queue gets a plan of sequential scans for
    // a table of no rows, and keeps it when a burst of 200,000 arrives (every claim then reads the
    // whole table). Planning each run costs a fraction of a millisecond per batch. The settings are
    // made before the pool hands the connection out, one after the other: a query sent while another
    // runs on the same connection is deprecated in pg (it printed a warning on every run).
    const onConnect = async (client: pg.ClientBase) => {
      for (const sql of ['SET plan_cache_mode = force_custom_plan', ...settings]) {
        await client.query(sql).catch(() => {
          // Postgres before 12 has no plan_cache_mode: there the claims stay correct, and may be slow after an idle spell.
          // (Were synchronous_commit refused, the claims would just wait for the disk as by default.)
        });
      }
    };
    const pool = new pg.Pool({ connectionString: this.connectionString, max, keepAlive: true, connectionTimeoutMillis: 10_000, onConnect });
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
  claim(droneId: string, wants: ClaimRequest[], leaseMs: number, ackIds: string[] = []): Promise<ClaimedTask[]> {
    return claimTasks(this.claimPool, this.schema, droneId, wants, leaseMs, ackIds);
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
  wakeups(): TaskListener {
    return new TaskListener(this.connectionString, this.schema);
  }

  async close(): Promise<void> {
    if (this.claimPool !== this.pool) await this.claimPool.end();
    await Promise.all([this.pool.end(), this.inspectPool.end()]);
  }
}
