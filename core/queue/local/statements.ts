import type Database from 'better-sqlite3';

/** The task explorer's error preview, in characters (the trace has the whole recorded error). */
const ERROR_PREVIEW_CHARS = 1024;

const STEP_ROW = `id, root_id, parent_id, type, data, state, result, error, stack, postback, attempt, created_at, queued_at, started_at, finished_at, acked_at, replay_of, resumed, answers`;
/** STEP_ROW without the large columns (SQLite then reads no overflow pages of them). */
export const STEP_HEAD = `id, root_id, parent_id, type, state, substr(error, 1, ${ERROR_PREVIEW_CHARS}) AS error, postback, attempt, created_at, queued_at, started_at, finished_at, acked_at, replay_of, resumed, answers`;
/** STEP_ROW with each large column cut to @n characters, and its length. */
const STEP_ROW_CUT = `id, root_id, parent_id, type, state, postback, attempt, created_at, queued_at, started_at, finished_at, acked_at, replay_of, resumed, answers,
  substr(data, 1, @n) AS data, length(data) AS data_len, substr(result, 1, @n) AS result, length(result) AS result_len,
  substr(error, 1, @n) AS error, length(error) AS error_len, substr(stack, 1, @n) AS stack, length(stack) AS stack_len`;

/** A prepared statement, by a name declaration files can write (better-sqlite3's own is not exported). */
export interface Statement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): Database.RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  iterate(...params: P): IterableIterator<R>;
}

/** Every statement the local queue runs more than once, prepared once per file (the schema must be current). */
export function prepareStatements(db: Database.Database) {
  const unacked = `acked_at IS NULL`;
  const prepare = <P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R> => db.prepare<P, R>(sql);
  return {
    getMeta: prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    insert: prepare(`INSERT INTO steps (root_id, parent_id, type, data, postback, attempt, max_attempts, created_at, queued_at, replay_of, resumed, answers)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    hop: prepare(`UPDATE steps SET state = 'hopped', started_at = ?, finished_at = ? WHERE id = ?`),
    done: prepare(`UPDATE steps SET state = 'done', result = ?, started_at = ?, finished_at = ? WHERE id = ?`),
    failed: prepare(`UPDATE steps SET state = 'failed', error = ?, stack = ?, retry_ms = ?, final = ?, started_at = ?, finished_at = ? WHERE id = ?`),
    ack: prepare(`UPDATE steps SET acked_at = ? WHERE id BETWEEN ? AND ?`),
    queued: prepare(`SELECT id, root_id, parent_id, type, data, postback, attempt, max_attempts, created_at, queued_at,
                               (SELECT p.type FROM steps p WHERE p.id = s.parent_id) AS parent_type
                        FROM steps s WHERE state = 'queued' AND ${unacked} ORDER BY id`),
    // A failed `local:` hop's input is where the chain resumes (start-up only: the hot path keeps it in memory).
    unackedSteps: prepare(
      `SELECT id, root_id, parent_id, type, state, postback, result, error, stack, retry_ms, final, finished_at,
              CASE WHEN state = 'failed' AND parent_id IS NOT NULL THEN data END AS resume_data
       FROM steps WHERE ${unacked} ORDER BY id`,
    ),
    refail: prepare(
      `UPDATE steps SET state = 'failed', result = NULL, error = ?, stack = NULL, retry_ms = ?, final = ? WHERE root_id = ? AND state IN ('done', 'failed') AND ${unacked}`,
    ),
    forget: prepare(`DELETE FROM steps WHERE ${unacked} AND root_id IN (SELECT value FROM json_each(?))`),
    roots: prepare<[], { root_id: string }>(`SELECT DISTINCT root_id FROM steps WHERE ${unacked}`),
    maxId: prepare<[], { id: number | null }>(`SELECT max(id) AS id FROM steps`),
    // By id: a range from the oldest row, so it costs what it deletes. By age: a scan (off the hot path).
    pruneById: prepare(`DELETE FROM steps WHERE id <= ? AND acked_at IS NOT NULL`),
    ageCutoff: prepare<[number, number], { id: number | null }>(`SELECT max(id) AS id FROM (SELECT id FROM steps WHERE acked_at < ? ORDER BY id LIMIT ?)`),
    pruneByAge: prepare(`DELETE FROM steps WHERE id <= ? AND acked_at < ?`),
    // Log lines of steps that are gone, up to an id: a range of the step_logs index.
    pruneLogs: prepare(`DELETE FROM step_logs WHERE step_id <= ? AND NOT EXISTS (SELECT 1 FROM steps WHERE steps.id = step_logs.step_id)`),
    pruneReplays: prepare(`DELETE FROM replays WHERE created_at < ?`),
    addLog: prepare(`INSERT INTO step_logs (step_id, time, level, msg) VALUES (?, ?, ?, ?)`),
    step: prepare(`SELECT ${STEP_ROW} FROM steps WHERE id = ?`),
    // A trace: every step of one global task. root_id has no index (the hot path would pay for it); a scan of the bounded table.
    trace: prepare(`SELECT ${STEP_ROW} FROM steps WHERE root_id = ? ORDER BY id`),
    traceCut: prepare(`SELECT ${STEP_ROW_CUT} FROM steps WHERE root_id = @root ORDER BY id`),
    logsOf: prepare(`SELECT step_id, time, level, msg FROM step_logs WHERE step_id IN (SELECT value FROM json_each(?)) ORDER BY step_id, id LIMIT ?`),
    // The chains of some first steps: their ids are at least the smallest of them (a range of the primary key).
    chainsOf: prepare(`SELECT ${STEP_HEAD} FROM steps WHERE id >= ? AND root_id IN (SELECT value FROM json_each(?)) ORDER BY id`),
    minId: prepare<[], { id: number | null }>(`SELECT min(id) AS id FROM steps`),
    addReplay: prepare(`INSERT INTO replays (task_id, trace_id, step_id, created_at) VALUES (?, ?, ?, ?)`),
    replaysOf: prepare<[string], { task_id: string }>(`SELECT task_id FROM replays WHERE trace_id = ? ORDER BY created_at, task_id`),
    answeredBy: prepare<[string], { root_id: string }>(`SELECT DISTINCT root_id FROM steps WHERE answers = ? ORDER BY root_id LIMIT 20`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
