/**
 * A replayed task names the step it replays ("traceId:stepId", see tasks.replay): the claim returns
 * it and the drone keeps it on the task's first step in its local queue. Nullable, no default: adding
 * it rewrites nothing.
 */
export default `
ALTER TABLE {schema}.tasks ADD COLUMN replay_of text CHECK (replay_of IS NULL OR char_length(replay_of) <= 100);
`;
