/**
 * Format 1: the steps a drone holds until Postgres acknowledges them, deleted then. Files of this
 * format never set user_version: it reads 0, as in a new file, so they go through this migration
 * too, which IF NOT EXISTS leaves them as they are.
 */
export default `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
  id           INTEGER PRIMARY KEY,
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
  finished_at  INTEGER
);
CREATE INDEX IF NOT EXISTS steps_root ON steps (root_id);
CREATE INDEX IF NOT EXISTS steps_finished ON steps (state) WHERE state IN ('done', 'failed');
`;
