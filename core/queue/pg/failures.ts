import type { Db } from './db.js';
import { statement } from './db.js';
import type { FailedTask, FailureGroup } from '../../api/types.js';
import type { FailedFilter, FailedSelection } from '../globalQueue.js';
import { firstFrame, normaliseMessage } from '../errorGroup.js';

// Which failed tasks: $1 ids, $2 types, $3 cause (error_group), $4 failed since; a null is no condition.
const WHERE = `state = 'failed' AND ($1::bigint[] IS NULL OR id = ANY($1)) AND ($2::text[] IS NULL OR type = ANY($2))
  AND ($3::text IS NULL OR error_group = $3) AND ($4::timestamptz IS NULL OR failed_at >= $4)`;

// One row per cause with the most recent task's error as its sample. Grouping reads every failed row
// that matches (a hundred thousand in tens of ms); the tasks of a group are then paged by keyset.
const GROUPS = statement(`
WITH g AS (
  SELECT error_group, count(*)::int AS n, min(failed_at) AS first_seen, max(failed_at) AS last_seen,
    array_agg(DISTINCT type ORDER BY type) AS types, max(id) AS sample_id
  FROM {schema}.tasks WHERE ${WHERE}
  GROUP BY error_group ORDER BY n DESC, error_group LIMIT $5
)
SELECT g.*, t.last_error, t.last_error_stack,
  floor(extract(epoch FROM g.first_seen) * 1000)::float8 AS first_ms, floor(extract(epoch FROM g.last_seen) * 1000)::float8 AS last_ms
FROM g JOIN {schema}.tasks t ON t.id = g.sample_id
ORDER BY g.n DESC, g.error_group`);

const FAILED = statement(`
SELECT id, type, data, attempts, max_attempts, last_error, last_error_stack, error_group, created_at,
  floor(extract(epoch FROM failed_at) * 1000)::float8 AS failed_ms
FROM {schema}.tasks WHERE ${WHERE} AND ($5::bigint IS NULL OR id > $5)
ORDER BY id LIMIT $6`);

/** A retry of a failed task is a new attempt: it gets one more if its attempts were used up. */
const RETRY_FAILED = statement(`
UPDATE {schema}.tasks SET state = 'available', run_at = now(), max_attempts = greatest(max_attempts, attempts + 1)
WHERE ${WHERE} RETURNING id`);

const DELETE_FAILED = statement(`DELETE FROM {schema}.tasks WHERE ${WHERE} RETURNING id`);

const params = (f: FailedFilter & { ids?: string[] }) => [f.ids ?? null, f.types ?? null, f.group ?? null, f.since ?? null];

export async function failureGroups(db: Db, schema: string, filter: FailedFilter, limit = 200): Promise<FailureGroup[]> {
  const res = await db.query(GROUPS(schema), [...params(filter), limit]);
  return res.rows.map((r) => ({
    group: r.error_group ?? '',
    title: normaliseMessage(r.last_error ?? ''),
    frame: firstFrame(r.last_error_stack),
    sampleError: r.last_error ?? '',
    sampleId: r.sample_id,
    count: r.n,
    firstSeen: r.first_ms,
    lastSeen: r.last_ms,
    types: r.types,
  }));
}

export async function listFailed(db: Db, schema: string, opts: FailedFilter & { afterId?: string; limit?: number } = {}): Promise<FailedTask[]> {
  const res = await db.query(FAILED(schema), [...params(opts), opts.afterId ?? null, opts.limit ?? 100]);
  return res.rows.map((r) => ({
    id: r.id,
    type: r.type,
    data: r.data,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    lastError: r.last_error,
    lastErrorStack: r.last_error_stack,
    group: r.error_group,
    failedAt: r.failed_ms,
    createdAt: r.created_at.toISOString(),
  }));
}

export async function retryFailed(db: Db, schema: string, sel: FailedSelection): Promise<string[]> {
  return (await db.query<{ id: string }>(RETRY_FAILED(schema), params(sel))).rows.map((r) => r.id);
}

export async function deleteFailed(db: Db, schema: string, sel: FailedSelection): Promise<string[]> {
  return (await db.query<{ id: string }>(DELETE_FAILED(schema), params(sel))).rows.map((r) => r.id);
}
