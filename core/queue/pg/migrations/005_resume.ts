/**
 * Where a chain goes on after a failed attempt: the `local:` step that failed (resume_type) and its
 * input (resume_data, the previous step's output). The fail statement sets them, the claim returns
 * them, and the drone starts the next attempt at that step, so the steps before it do not run again.
 * Nullable, no default: adding them rewrites nothing. The length check is NOT VALID: enforced on
 * every row written from now on, without a scan of the rows there are (all of them NULL).
 */
export default `
ALTER TABLE {schema}.tasks ADD COLUMN resume_type text, ADD COLUMN resume_data jsonb;
ALTER TABLE {schema}.tasks ADD CONSTRAINT tasks_resume_type_check
  CHECK (resume_type IS NULL OR char_length(resume_type) BETWEEN 1 AND 200) NOT VALID;
`;
