import type { Db } from './db.js';
import { statement } from './db.js';
import { taskId } from './ids.js';
import type { ResumePoint } from '../types.js';

// Giving a task back is not an attempt: the count taken at claim is returned.
const RELEASE = statement(`
UPDATE {schema}.tasks
SET state = 'available', claimed_by = NULL, lease_until = NULL, attempts = greatest(attempts - 1, 0)
WHERE claimed_by = $1 AND state = 'claimed' AND id = ANY($2::bigint[])`);

// The same for a stopping drone whose chains are part-way: each of those keeps the step it had got
// to, with that step's input, where its next attempt starts (as after a failure there, see fail.ts).
const RELEASE_RESUMING = statement(`
WITH input AS (
  SELECT * FROM jsonb_to_recordset($3::jsonb) AS i(id bigint, resume_type text, resume_data jsonb)
)
UPDATE {schema}.tasks t
SET state = 'available', claimed_by = NULL, lease_until = NULL, attempts = greatest(t.attempts - 1, 0),
    resume_type = coalesce(i.resume_type, t.resume_type),
    resume_data = CASE WHEN i.resume_type IS NULL THEN t.resume_data ELSE coalesce(i.resume_data, 'null') END
FROM unnest($2::bigint[]) AS r(id) LEFT JOIN input i ON i.id = r.id
WHERE t.id = r.id AND t.claimed_by = $1 AND t.state = 'claimed'`);

// A restarted drone gives back what Postgres says it holds but its local queue never got
// (it died between the claim's commit and the local insert).
const RELEASE_ALL_EXCEPT = statement(`
UPDATE {schema}.tasks
SET state = 'available', claimed_by = NULL, lease_until = NULL, attempts = greatest(attempts - 1, 0)
WHERE claimed_by = $1 AND state = 'claimed' AND NOT (id = ANY($2::bigint[]))`);

// A restarted drone takes back the tasks its local queue still holds: those still claimed by it, and
// those whose lease ran out but which nobody has taken since. The rest belong to someone else now.
const RECLAIM = statement(`
UPDATE {schema}.tasks
SET state = 'claimed', claimed_by = $1, lease_until = now() + make_interval(secs => $3::int / 1000.0)
WHERE id = ANY($2::bigint[]) AND (claimed_by = $1 OR state = 'available')
RETURNING id`);

export async function releaseTasks(db: Db, schema: string, droneId: string, ids: string[], resumeAt: ResumePoint[] = []): Promise<number> {
  if (ids.length === 0) return 0;
  if (resumeAt.length === 0) return (await db.query(RELEASE(schema), [droneId, ids])).rowCount ?? 0;
  // The inputs are JSON text already: spliced, not parsed and serialised again.
  const json = `[${resumeAt.map((p) => `{"id":${taskId(p.id)},"resume_type":${JSON.stringify(p.resumeType)},"resume_data":${p.resumeDataJson}}`).join(',')}]`;
  return (await db.query(RELEASE_RESUMING(schema), [droneId, [...new Set(ids)], json])).rowCount ?? 0;
}

export async function releaseAllExcept(db: Db, schema: string, droneId: string, keep: string[]): Promise<number> {
  return (await db.query(RELEASE_ALL_EXCEPT(schema), [droneId, keep])).rowCount ?? 0;
}

export async function reclaimTasks(db: Db, schema: string, droneId: string, ids: string[], leaseMs: number): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const res = await db.query<{ id: string }>(RECLAIM(schema), [droneId, ids, leaseMs]);
  return new Set(res.rows.map((r) => r.id));
}
