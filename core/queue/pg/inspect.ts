import type { Db } from './db.js';
import { statement } from './db.js';
import type { FailedTask } from '../../api/types.js';
import type { FailedSelection } from '../globalQueue.js';
import type { QueueStatus } from '../types.js';

// For the CLI's status and the operator UI: counts by type and state, and the drones.
// A full scan: fine for a person asking, never on the drone's hot path.
const COUNTS = statement(`
SELECT type,
  count(*) FILTER (WHERE state = 'available' AND run_at <= now())::int AS available,
  count(*) FILTER (WHERE state = 'available' AND run_at > now())::int AS scheduled,
  count(*) FILTER (WHERE state = 'claimed')::int AS claimed,
  count(*) FILTER (WHERE state = 'failed')::int AS failed
FROM {schema}.tasks GROUP BY type ORDER BY type`);

const DRONES = statement(`
SELECT id, host, pid, task_types, started_at, heartbeat_at,
  heartbeat_at + make_interval(secs => lease_ms / 1000.0) > now() AS alive
FROM {schema}.drones ORDER BY started_at`);

const FAILED = statement(`
SELECT id, type, data, attempts, max_attempts, last_error, last_error_stack, created_at
FROM {schema}.tasks WHERE state = 'failed' AND ($1::text[] IS NULL OR type = ANY($1)) AND ($2::bigint IS NULL OR id > $2)
ORDER BY id LIMIT $3`);

// A selection of failed tasks: by ids, or every failed task of some types.
const SELECTED = `state = 'failed' AND (($1::bigint[] IS NOT NULL AND id = ANY($1)) OR ($1::bigint[] IS NULL AND type = ANY($2::text[])))`;

const RETRY_FAILED = statement(`
UPDATE {schema}.tasks SET state = 'available', run_at = now(), max_attempts = greatest(max_attempts, attempts + 1)
WHERE ${SELECTED} RETURNING id`);

const DELETE_FAILED = statement(`DELETE FROM {schema}.tasks WHERE ${SELECTED} RETURNING id`);

const selectionParams = (sel: FailedSelection) => ('ids' in sel ? [sel.ids, null] : [null, sel.types]);

export async function queueStatus(db: Db, schema: string): Promise<QueueStatus> {
  const [counts, drones] = await Promise.all([db.query(COUNTS(schema)), db.query(DRONES(schema))]);
  return {
    types: counts.rows,
    drones: drones.rows.map((d) => ({
      id: d.id,
      host: d.host,
      pid: d.pid,
      taskTypes: d.task_types,
      startedAt: d.started_at.toISOString(),
      heartbeatAt: d.heartbeat_at.toISOString(),
      alive: d.alive,
    })),
  };
}

export async function listFailed(db: Db, schema: string, opts: { types?: string[]; afterId?: string; limit?: number } = {}): Promise<FailedTask[]> {
  const res = await db.query(FAILED(schema), [opts.types ?? null, opts.afterId ?? null, opts.limit ?? 100]);
  return res.rows.map((r) => ({
    id: r.id,
    type: r.type,
    data: r.data,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    lastError: r.last_error,
    lastErrorStack: r.last_error_stack,
    createdAt: r.created_at.toISOString(),
  }));
}

/** A retry of a failed task is a new attempt: it gets one more if its attempts were used up. */
export async function retryFailed(db: Db, schema: string, sel: FailedSelection): Promise<string[]> {
  return (await db.query<{ id: string }>(RETRY_FAILED(schema), selectionParams(sel))).rows.map((r) => r.id);
}

export async function deleteFailed(db: Db, schema: string, sel: FailedSelection): Promise<string[]> {
  return (await db.query<{ id: string }>(DELETE_FAILED(schema), selectionParams(sel))).rows.map((r) => r.id);
}
