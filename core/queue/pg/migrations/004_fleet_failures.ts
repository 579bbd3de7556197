/**
 * What the operator's views of the whole queue need. A failed attempt records when it failed and
 * its cause's group (core/queue/errorGroup.ts), so failures group by cause from one index; a
 * postback is found from the task it answers; a drone's heartbeat carries its version and per-type
 * rates. All nullable without defaults: adding them rewrites nothing.
 */
export default `
ALTER TABLE {schema}.tasks ADD COLUMN failed_at timestamptz;
ALTER TABLE {schema}.tasks ADD COLUMN error_group text CHECK (error_group IS NULL OR char_length(error_group) <= 40);
-- Covering: failures group by cause from the index alone (failed rows rarely change, so their pages stay all-visible).
CREATE INDEX tasks_failed_group ON {schema}.tasks (error_group, id) INCLUDE (type, failed_at) WHERE state = 'failed';
CREATE INDEX tasks_trace ON {schema}.tasks (trace_id) WHERE trace_id IS NOT NULL;
-- Tasks failed before this migration: grouped by their exact message, dated by their creation.
UPDATE {schema}.tasks SET error_group = 'm' || left(md5(coalesce(last_error, '')), 15), failed_at = created_at WHERE state = 'failed';
ALTER TABLE {schema}.drones ADD COLUMN version text CHECK (version IS NULL OR char_length(version) <= 100);
ALTER TABLE {schema}.drones ADD COLUMN stats jsonb;
`;
