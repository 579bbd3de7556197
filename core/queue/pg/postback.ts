import type { Db } from './db.js';
import { statement } from './db.js';

// The requester takes its answers: rows of its unique postback type, removed as they are read.
const TAKE = statement(`
DELETE FROM {schema}.tasks WHERE id IN (
  SELECT id FROM {schema}.tasks WHERE type = $1 AND state = 'available' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
) RETURNING id, data::text AS data, trace_id`);

export async function takePostbacks(
  db: Db,
  schema: string,
  type: string,
  limit: number,
): Promise<Array<{ id: string; dataJson: string; traceId: string | null }>> {
  const res = await db.query(TAKE(schema), [type, limit]);
  return res.rows.map((r) => ({ id: r.id, dataJson: r.data, traceId: r.trace_id }));
}
