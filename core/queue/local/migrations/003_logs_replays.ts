/**
 * Format 3: steps.replay_of (the first step of a replayed task names the step it replays), the
 * workers' log lines per step (step_logs, pruned with the steps) and the replays this drone made.
 * step_logs is only written when workers log, so its index costs the hot path nothing.
 */
export default `
ALTER TABLE steps ADD COLUMN replay_of TEXT;
CREATE TABLE IF NOT EXISTS step_logs (
  id      INTEGER PRIMARY KEY,
  step_id INTEGER NOT NULL,
  time    INTEGER NOT NULL,
  level   TEXT NOT NULL,
  msg     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS step_logs_step ON step_logs (step_id);
CREATE TABLE IF NOT EXISTS replays (
  task_id    TEXT PRIMARY KEY,
  trace_id   TEXT NOT NULL,
  step_id    INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
`;
