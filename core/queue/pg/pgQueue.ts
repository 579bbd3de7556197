import pg from 'pg';
import { migrate } from './migrate.js';
import { enqueueTasks } from './enqueue.js';
import { claimTasks } from './claim.js';
import { completeTasks } from './complete.js';
import { failTasks } from './fail.js';
import { reclaimTasks, releaseAllExcept, releaseTasks } from './release.js';
import { deregister, heartbeat, rescueExpired } from './leases.js';
import { deleteFailed, listFailed, queueStatus, retryFailed, type FailedSelection } from './inspect.js';
import { takePostbacks } from './postback.js';
import { TaskListener } from './listener.js';
import { quoteIdent } from './sql.js';
import type { ClaimRequest, ClaimedTask, Completion, DroneRow, Failure, FailedTask, NewTask, QueueStatus } from '../types.js';

// int8 ids stay strings (they can exceed 2^53); timestamps stay Dates.
export interface PgQueueOptions {
  connectionString: string;
  schema?: string;
  poolSize?: number;
  /** Called when a pooled connection fails in the background (the pool replaces it). */
  onError?: (err: Error) => void;
}

/** The global queue on Postgres. Every operation is one statement over the pool. */
export class PgQueue {
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly connectionString: string;

  constructor(opts: PgQueueOptions) {
    this.schema = opts.schema ?? 'swarmage';
    quoteIdent(this.schema);
    this.connectionString = opts.connectionString;
    this.pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.poolSize ?? 4,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    this.pool.on('error', (err) => opts.onError?.(err));
    // After a few runs of a prepared statement Postgres may settle on one generic plan, made with
    // the table as it was then: a drone polling an empty queue gets a plan of sequential scans for
    // a table of no rows, and keeps it when a burst of 200,000 arrives (every claim then reads the
    // whole table). Planning each run costs a fraction of a millisecond per batch.
    this.pool.on('connect', (client) => {
      client.query('SET plan_cache_mode = force_custom_plan').catch(() => {
        // Postgres before 12 has no such setting: there the claims stay correct, and may be slow after an idle spell.
      });
    });
  }

  async migrate(): Promise<number[]> {
    const client = await this.pool.connect();
    try {
      return await migrate(client, this.schema);
    } finally {
      client.release();
    }
  }

  enqueue(tasks: NewTask[]): Promise<string[]> { return enqueueTasks(this.pool, this.schema, tasks); }
  claim(droneId: string, wants: ClaimRequest[], leaseMs: number, ackIds: string[] = []): Promise<ClaimedTask[]> { return claimTasks(this.pool, this.schema, droneId, wants, leaseMs, ackIds); }
  complete(droneId: string, done: Completion[]) { return completeTasks(this.pool, this.schema, droneId, done); }
  fail(droneId: string, failures: Failure[]) { return failTasks(this.pool, this.schema, droneId, failures); }
  release(droneId: string, ids: string[]): Promise<number> { return releaseTasks(this.pool, this.schema, droneId, ids); }
  releaseAllExcept(droneId: string, keep: string[]): Promise<number> { return releaseAllExcept(this.pool, this.schema, droneId, keep); }
  reclaim(droneId: string, ids: string[], leaseMs: number): Promise<Set<string>> { return reclaimTasks(this.pool, this.schema, droneId, ids, leaseMs); }
  heartbeat(drone: DroneRow, leaseMs: number, held?: string[]): Promise<number> { return heartbeat(this.pool, this.schema, drone, leaseMs, held); }
  rescueExpired(): Promise<string[]> { return rescueExpired(this.pool, this.schema); }
  deregister(droneId: string): Promise<void> { return deregister(this.pool, this.schema, droneId); }
  status(): Promise<QueueStatus> { return queueStatus(this.pool, this.schema); }
  listFailed(opts?: { types?: string[]; afterId?: string; limit?: number }): Promise<FailedTask[]> { return listFailed(this.pool, this.schema, opts); }
  retryFailed(sel: FailedSelection): Promise<string[]> { return retryFailed(this.pool, this.schema, sel); }
  deleteFailed(sel: FailedSelection): Promise<string[]> { return deleteFailed(this.pool, this.schema, sel); }
  takePostbacks(type: string, limit: number) { return takePostbacks(this.pool, this.schema, type, limit); }
  listener(): TaskListener { return new TaskListener(this.connectionString, this.schema); }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
