import type { Db } from './db.js';
import { statement } from './db.js';
import { channelFor } from './sql.js';
import type { GlobalTask, GlobalTaskState } from '../../api/types.js';
import type { BrowseQuery } from '../globalQueue.js';

const COLUMNS = `id, type, state, run_at <= now() AS due, left(data::text, $DATA) AS data, postback, priority, attempts, max_attempts,
  claimed_by, last_error, last_error_stack, trace_id, run_at::text AS run_text,
  floor(extract(epoch FROM run_at) * 1000)::float8 AS run_ms, floor(extract(epoch FROM lease_until) * 1000)::float8 AS lease_ms,
  floor(extract(epoch FROM failed_at) * 1000)::float8 AS failed_ms, floor(extract(epoch FROM created_at) * 1000)::float8 AS created_ms`;

const columns = (dataChars: number) => COLUMNS.replace('$DATA', String(dataChars));

const BY_ID = statement(`SELECT ${columns(1_100_000)} FROM {schema}.tasks WHERE id = $1`);
const POSTBACKS_OF = statement(`SELECT ${columns(2000)} FROM {schema}.tasks WHERE trace_id = $1 ORDER BY id LIMIT 20`);

// Browsing walks an index in its own order and pages by keyset: waiting tasks in the claim's order
// (priority, then run_at, then id), claimed and failed ones by id.
const WAITING = statement(`
SELECT ${columns(2000)} FROM {schema}.tasks
WHERE state = 'available' AND type = $1 AND (CASE WHEN $2 THEN run_at > now() ELSE run_at <= now() END)
  AND ($3::int IS NULL OR priority < $3 OR (priority = $3 AND (run_at, id) > ($4::timestamptz, $5::bigint)))
ORDER BY priority DESC, run_at, id LIMIT $6`);
const CLAIMED = statement(`
SELECT ${columns(2000)} FROM {schema}.tasks
WHERE state = 'claimed' AND ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR claimed_by = $2) AND ($3::bigint IS NULL OR id > $3)
ORDER BY id LIMIT $4`);
const FAILED = statement(`
SELECT ${columns(2000)} FROM {schema}.tasks WHERE state = 'failed' AND type = $1 AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3`);

// Only a waiting task can be cancelled: a claimed one is running somewhere, and its drone decides.
const CANCEL = statement(`DELETE FROM {schema}.tasks WHERE id = ANY($1::bigint[]) AND state = 'available' RETURNING id`);

// A task waiting for its run_at (a delay, or a retry's backoff) becomes due now, and the drones
// serving its type hear of it at once (the insert trigger only tells of new rows).
const RUN_NOW = statement(`
WITH moved AS (
  UPDATE {schema}.tasks SET run_at = now() WHERE id = ANY($1::bigint[]) AND state = 'available' AND run_at > now() RETURNING id, type
), told AS (
  SELECT pg_notify($2, type) FROM (SELECT DISTINCT type FROM moved) t
)
SELECT id FROM moved, (SELECT count(*) FROM told) n`);

const badCursor = (after: string) =>
  new Error(`tasks.browse: after ${JSON.stringify(after.slice(0, 100))} is not a cursor this listing returned (use its "next")`);

function waitingCursor(after: string): [number, string, string] {
  let c: unknown;
  try {
    c = JSON.parse(after);
  } catch {
    throw badCursor(after);
  }
  const ok =
    Array.isArray(c) &&
    c.length === 3 &&
    Number.isInteger(c[0]) &&
    typeof c[1] === 'string' &&
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(c[1]) &&
    /^[0-9]{1,19}$/.test(String(c[2]));
  if (!ok) throw badCursor(after);
  return c as [number, string, string];
}

function idCursor(after: string | undefined): string | null {
  if (after === undefined) return null;
  if (!/^[0-9]{1,19}$/.test(after)) throw badCursor(after);
  return after;
}

function stateOf(r: { state: string; due: boolean }): GlobalTaskState {
  return r.state === 'available' ? (r.due ? 'available' : 'scheduled') : (r.state as GlobalTaskState);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toTask(r: any): GlobalTask {
  return {
    id: r.id,
    type: r.type,
    state: stateOf(r),
    data: r.data,
    postback: r.postback,
    priority: r.priority,
    runAt: r.run_ms,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    claimedBy: r.claimed_by,
    leaseUntil: r.lease_ms,
    error: r.last_error,
    stack: r.last_error_stack,
    failedAt: r.failed_ms,
    createdAt: r.created_ms,
    answers: r.trace_id,
  };
}

export async function findTask(db: Db, schema: string, id: string): Promise<GlobalTask | null> {
  const res = await db.query(BY_ID(schema), [id]);
  return res.rows[0] ? toTask(res.rows[0]) : null;
}

/** The postbacks on the queue that carry this task's result (their trace_id is its id). */
export async function postbacksOf(db: Db, schema: string, id: string): Promise<GlobalTask[]> {
  return (await db.query(POSTBACKS_OF(schema), [id])).rows.map(toTask);
}

/** A page of tasks, and the cursor of the next page (null at the end). */
export async function browseTasks(db: Db, schema: string, q: BrowseQuery): Promise<{ tasks: GlobalTask[]; next: string | null }> {
  const limit = q.limit ?? 50;
  let rows;
  if (q.state === 'available' || q.state === 'scheduled') {
    const after = q.after === undefined ? null : waitingCursor(q.after);
    rows = (await db.query(WAITING(schema), [q.type, q.state === 'scheduled', after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, limit])).rows;
  } else if (q.state === 'claimed') {
    rows = (await db.query(CLAIMED(schema), [q.type ?? null, q.claimedBy ?? null, idCursor(q.after), limit])).rows;
  } else {
    rows = (await db.query(FAILED(schema), [q.type, idCursor(q.after), limit])).rows;
  }
  // The cursor keeps run_at as Postgres wrote it: a Date would lose the microseconds and repeat or skip rows.
  const last = rows.at(-1);
  const next =
    rows.length < limit || !last
      ? null
      : q.state === 'available' || q.state === 'scheduled'
        ? JSON.stringify([last.priority, last.run_text, last.id])
        : last.id;
  return { tasks: rows.map(toTask), next };
}

export async function cancelTasks(db: Db, schema: string, ids: string[]): Promise<string[]> {
  return (await db.query<{ id: string }>(CANCEL(schema), [ids])).rows.map((r) => r.id);
}

export async function runTasksNow(db: Db, schema: string, ids: string[]): Promise<string[]> {
  return (await db.query<{ id: string }>(RUN_NOW(schema), [ids, channelFor(schema)])).rows.map((r) => r.id);
}
