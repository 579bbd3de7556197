/**
 * Format 4: steps.final (a failed step that another attempt cannot make succeed: the outbox sends
 * it to Postgres as final after a restart too) and steps.resumed (the first step of an attempt that
 * started at the step an earlier attempt failed at, for its trace). Both NULL unless set, so files
 * of format 3 keep every row as it was.
 */
export default `
ALTER TABLE steps ADD COLUMN final INTEGER;
ALTER TABLE steps ADD COLUMN resumed INTEGER;
`;
