import type { Db } from './db.js';
import { statement } from './db.js';
import type { ClaimRequest, ClaimedTask } from '../types.js';
import { taskId } from './ids.js';

const CLAIMED_ROW = `t.id, t.type, t.data::text AS data, t.postback, t.attempts, t.max_attempts, t.priority,
          (extract(epoch FROM t.created_at) * 1000)::float8 AS created_ms, t.replay_of, t.resume_type, t.resume_data::text AS resume_data, t.trace_id`;
const TAKE = `state = 'claimed', claimed_by = $3, claimed_at = now(), lease_until = now() + make_interval(secs => $4::int / 1000.0),
    attempts = t.attempts + 1`;

// One statement claims for every type at once: per type, up to its free capacity, by priority then
// age, skipping rows other drones hold. data comes back as text: the drone stores and forwards it
// without parsing, and so does a retried chain's resume point (NULL for every other task). The same
// statement acknowledges the drone's finished tasks that need nothing but deleting (done, no
// postback): one round trip and one connection for the drone's hot path, which costs Postgres less
// than a claim and a delete racing each other on two connections.
const CLAIM = statement(`
WITH acked AS (
  DELETE FROM {schema}.tasks WHERE id = ANY($5::bigint[]) AND claimed_by = $3 AND state = 'claimed'
), wanted AS (
  SELECT * FROM unnest($1::text[], $2::int[]) AS w(type, n)
), picked AS (
  SELECT p.id FROM wanted w CROSS JOIN LATERAL (
    SELECT t.id FROM {schema}.tasks t
    WHERE t.state = 'available' AND t.type = w.type AND t.run_at <= now()
    ORDER BY t.priority DESC, t.run_at, t.id
    LIMIT w.n
    FOR UPDATE SKIP LOCKED
  ) p
)
UPDATE {schema}.tasks t
SET ${TAKE}
-- = ANY(ARRAY(...)) rather than a join: the planner cannot see the lateral LIMIT, guesses a huge
-- row count and would hash-join over a scan of the whole table; this keeps it on the primary key.
WHERE t.id = ANY(ARRAY(SELECT id FROM picked))
RETURNING ${CLAIMED_ROW}`);

// The same claim for one type with nothing to acknowledge: what an idle drone sends when a task
// arrives. Without the unnest, the lateral join and the delete it plans and runs in 0.15-0.25 ms
// less (1.40 against 1.64 ms alone, `node dist/bench/micro.js claim`): latency that every such task waits.
const CLAIM_ONE_TYPE = statement(`
UPDATE {schema}.tasks t
SET ${TAKE}
WHERE t.id = ANY(ARRAY(
  SELECT id FROM {schema}.tasks
  WHERE state = 'available' AND type = $1 AND run_at <= now()
  ORDER BY priority DESC, run_at, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED))
RETURNING ${CLAIMED_ROW}`);

/**
 * Claims up to `limit` tasks of each wanted type for this drone, and deletes `ackIds` (tasks of
 * this drone that finished, with no postback) in the same statement.
 */
export async function claimTasks(
  db: Db,
  schema: string,
  droneId: string,
  wants: ClaimRequest[],
  leaseMs: number,
  ackIds: string[] = [],
): Promise<ClaimedTask[]> {
  const asked = wants.filter((w) => w.limit > 0);
  if (asked.length === 0 && ackIds.length === 0) return [];
  // Named: each connection parses them once. PgQueue's connections plan them on every call
  // (plan_cache_mode, see pgQueue.ts): a plan kept from an idle spell would be wrong for a burst.
  const res =
    asked.length === 1 && ackIds.length === 0
      ? await db.query({ name: `swarmage-claim-one-${schema}`, text: CLAIM_ONE_TYPE(schema), values: [asked[0].type, asked[0].limit, droneId, leaseMs] })
      : await db.query({
          name: `swarmage-claim-${schema}`,
          text: CLAIM(schema),
          values: [asked.map((w) => w.type), asked.map((w) => w.limit), droneId, leaseMs, ackIds.map(taskId)],
        });
  return res.rows.map((r) => ({
    id: r.id,
    type: r.type,
    dataJson: r.data,
    postback: r.postback,
    attempt: r.attempts,
    maxAttempts: r.max_attempts,
    priority: r.priority,
    createdAt: r.created_ms,
    replayOf: r.replay_of,
    resumeType: r.resume_type,
    resumeDataJson: r.resume_data,
    answers: r.trace_id,
  }));
}
