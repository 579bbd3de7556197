import type { Db } from './db.js';
import { statement } from './db.js';
import type { NewTask } from '../types.js';
import { checkNewTask } from '../validate.js';

// One statement for any number of tasks: the rows travel as one JSON array parameter.
const INSERT = statement(`
INSERT INTO {schema}.tasks (type, data, postback, priority, run_at, max_attempts, replay_of)
SELECT t.type, coalesce(t.data, 'null'), t.postback, coalesce(t.priority, 0), coalesce(t.run_at, now()), coalesce(t.max_attempts, 5), t.replay_of
FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (type text, data jsonb, postback text, priority int, run_at timestamptz, max_attempts int, replay_of text))
  WITH ORDINALITY AS t(type, data, postback, priority, run_at, max_attempts, replay_of, n)
ORDER BY n
RETURNING id`);

export async function enqueueTasks(db: Db, schema: string, tasks: NewTask[]): Promise<string[]> {
  if (tasks.length === 0) return [];
  const rows = tasks.map((t, i) => {
    const dataJson = checkNewTask(t, tasks.length > 1 ? `tasks[${i}]` : 'task');
    return (
      `{"type":${JSON.stringify(t.type)},"data":${dataJson},"postback":${JSON.stringify(t.postback ?? null)},` +
      `"priority":${t.priority ?? 0},"run_at":${t.runAt ? JSON.stringify(t.runAt.toISOString()) : 'null'},"max_attempts":${t.maxAttempts ?? 5}` +
      `${t.replayOf ? `,"replay_of":${JSON.stringify(t.replayOf)}` : ''}}`
    );
  });
  const res = await db.query<{ id: string }>(INSERT(schema), [`[${rows.join(',')}]`]);
  return res.rows.map((r) => r.id);
}
