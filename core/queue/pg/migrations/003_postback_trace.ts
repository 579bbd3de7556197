/**
 * A postback carries the trace id of the task whose result it is (that task's id): the complete
 * statement sets it, so a trace can be followed from its claim through its `local:` hops to the
 * postback. Nullable: every other task leaves it empty.
 */
export default `
ALTER TABLE {schema}.tasks ADD COLUMN trace_id text CHECK (trace_id IS NULL OR char_length(trace_id) <= 20);
`;
