import type { Db } from './db.js';
import { statement } from './db.js';
import type { TaskProgress } from '../types.js';

// What a requester waits on, in one round trip: each of its tasks still in the queue (by primary
// key; a done task is gone, its answer a postback) and how many live drones serve the type.
const PROGRESS = statement(`
SELECT
  (SELECT count(*)::int FROM {schema}.drones d
    WHERE $2 = ANY(d.task_types) AND d.heartbeat_at + make_interval(secs => d.lease_ms / 1000.0) > now()) AS served,
  (extract(epoch FROM now()) * 1000)::float8 AS now,
  coalesce((
    SELECT json_agg(json_build_object(
      'id', t.id::text, 'state', t.state, 'attempts', t.attempts, 'maxAttempts', t.max_attempts,
      'runAt', (extract(epoch FROM t.run_at) * 1000)::float8, 'error', t.last_error, 'stack', t.last_error_stack) ORDER BY t.id)
    FROM {schema}.tasks t WHERE t.id = ANY($1::bigint[])
  ), '[]'::json) AS tasks`);

export async function taskProgress(db: Db, schema: string, ids: string[], type: string): Promise<TaskProgress> {
  const res = await db.query<TaskProgress>(PROGRESS(schema), [ids, type]);
  return res.rows[0];
}
