/**
 * Format 2: steps stay after their acknowledgement (acked_at) as history, pruned by retention; ids
 * never repeat (AUTOINCREMENT), so history and logs can point at them. No secondary index: the hot
 * path touches rows by id only, and the rest (start-up, give-back, history) scans a bounded table.
 * SQLite cannot add AUTOINCREMENT to a table, so the rows move to a new one.
 */
const COLUMNS_V1 =
  'id, root_id, parent_id, type, data, state, result, error, stack, retry_ms, postback, attempt, max_attempts, created_at, queued_at, finished_at';

export default `
ALTER TABLE steps RENAME TO steps_v1;
DROP INDEX IF EXISTS steps_root;
DROP INDEX IF EXISTS steps_finished;
CREATE TABLE steps (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  root_id      TEXT NOT NULL,
  parent_id    INTEGER,
  type         TEXT NOT NULL,
  data         TEXT NOT NULL,
  state        TEXT NOT NULL DEFAULT 'queued',  -- queued | hopped | done | failed
  result       TEXT,
  error        TEXT,
  stack        TEXT,
  retry_ms     INTEGER,
  postback     TEXT,
  attempt      INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  queued_at    INTEGER NOT NULL,
  started_at   INTEGER,
  finished_at  INTEGER,
  acked_at     INTEGER
);
INSERT INTO steps (${COLUMNS_V1}) SELECT ${COLUMNS_V1} FROM steps_v1;
DROP TABLE steps_v1;
`;
