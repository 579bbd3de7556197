/**
 * Format 5: steps.answers, on the first step of a postback: the id of the task whose result it
 * carries (the global queue's trace_id), so a trace links to the one before it through a postback,
 * and that one finds its postbacks here. NULL for every other step; the index holds only the others.
 */
export default `
ALTER TABLE steps ADD COLUMN answers TEXT;
CREATE INDEX steps_answers ON steps (answers) WHERE answers IS NOT NULL;
`;
