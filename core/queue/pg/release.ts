import type { Db } from './db.js';
import { statement } from './db.js';

// Giving a task back is not an attempt: the count taken at claim is returned.
const RELEASE = statement(`
UPDATE {schema}.tasks
SET state = 'available', claimed_by = NULL, lease_until = NULL, attempts = greatest(attempts - 1, 0)
WHERE claimed_by = $1 AND state = 'claimed' AND id = ANY($2::bigint[])`);

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

export async function releaseTasks(db: Db, schema: string, droneId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return (await db.query(RELEASE(schema), [droneId, ids])).rowCount ?? 0;
}

export async function releaseAllExcept(db: Db, schema: string, droneId: string, keep: string[]): Promise<number> {
  return (await db.query(RELEASE_ALL_EXCEPT(schema), [droneId, keep])).rowCount ?? 0;
}

export async function reclaimTasks(db: Db, schema: string, droneId: string, ids: string[], leaseMs: number): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const res = await db.query<{ id: string }>(RECLAIM(schema), [droneId, ids, leaseMs]);
  return new Set(res.rows.map((r) => r.id));
}
