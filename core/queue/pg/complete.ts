import type { Db } from './db.js';
import { statement } from './db.js';
import type { Completion } from '../types.js';
import { taskId } from './ids.js';
import { TaskInputError } from '../validate.js';

// Finished tasks are deleted (the original Swarmage's dequeue) and their postbacks enqueued in the same
// statement, so a postback exists exactly when its task is gone; a postback carries its task's id
// as its trace_id. Only rows this drone still holds
// count: a task whose lease was lost belongs to whoever took it.
const COMPLETE = statement(`
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(id bigint, result jsonb)
), done AS (
  DELETE FROM {schema}.tasks t USING input i
  WHERE t.id = i.id AND t.claimed_by = $2 AND t.state = 'claimed'
  RETURNING t.id, t.postback, i.result
), posted AS (
  INSERT INTO {schema}.tasks (type, data, trace_id)
  SELECT postback, coalesce(result, 'null'), id::text FROM done WHERE postback IS NOT NULL
  RETURNING 1
)
SELECT (SELECT count(*) FROM done)::int AS done, (SELECT count(*) FROM posted)::int AS posted`);

// Tasks known to have no postback: only their ids travel, and no JSON is parsed.
const DELETE_PLAIN = statement(`
DELETE FROM {schema}.tasks WHERE id = ANY($1::bigint[]) AND claimed_by = $2 AND state = 'claimed'`);

export async function completeTasks(db: Db, schema: string, droneId: string, done: Completion[]): Promise<{ done: number; posted: number }> {
  if (done.length === 0) return { done: 0, posted: 0 };
  const plain = done.filter((c) => c.postback === null);
  const rest = plain.length === 0 ? done : done.filter((c) => c.postback !== null);
  const [a, b] = await Promise.all([
    plain.length > 0
      ? db.query(DELETE_PLAIN(schema), [plain.map((c) => taskId(c.id)), droneId]).then((r) => ({ done: r.rowCount ?? 0, posted: 0 }))
      : { done: 0, posted: 0 },
    rest.length > 0 ? completeWithResults(db, schema, droneId, rest) : { done: 0, posted: 0 },
  ]);
  return { done: a.done + b.done, posted: a.posted + b.posted };
}

async function completeWithResults(db: Db, schema: string, droneId: string, done: Completion[]): Promise<{ done: number; posted: number }> {
  for (const c of done) {
    // jsonb cannot hold NUL; workers refuse such results, so this is a caller's bug, named here.
    if (c.resultJson.includes('\\u0000'))
      throw new TaskInputError(`task ${c.id}: the result contains the NUL character (\\u0000), which Postgres jsonb cannot store`);
  }
  // resultJson is already JSON text: splice it rather than parse and re-serialise it.
  const json = '[' + done.map((c) => `{"id":${taskId(c.id)},"result":${c.resultJson}}`).join(',') + ']';
  const res = await db.query(COMPLETE(schema), [json, droneId]);
  return res.rows[0];
}
