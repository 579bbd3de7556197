import type { Db } from './db.js';
import { statement } from './db.js';
import type { ClaimRequest, ClaimedTask } from '../types.js';
import { taskId } from './ids.js';

// One statement claims for every type at once: per type, up to its free capacity, by priority then
// age, skipping rows other drones hold. data comes back as text: the drone stores and forwards it
// without parsing, and so does a retried chain's resume point (NULL for every other task). The same
// statement acknowledges the drone's finished tasks that need nothing but deleting (done, no
// postback): one round trip and one connection for the drone's hot path, which costs Postgres less
// than a claim and a delete racing each other on two connections. In the UPDATE, = ANY(ARRAY(...))
// rather than a join: the planner cannot see the lateral LIMIT, guesses a huge row count and would
// hash-join over a scan of the whole table; this keeps it on the primary key.
//
// What an idle drone sends when a task arrives is the same claim for one type with nothing to
// acknowledge: without the unnest, the lateral join and the delete it plans and runs in 0.15-0.25 ms
// less (1.40 against 1.64 ms alone, `node dist/bench/micro.js claim`): latency that every such task waits.
//
// Both are functions (migration 006, where the SQL is, and why). Their calls are prepared once per
// connection under a name (the name says the version: a drone of another version never runs this
// text under its own name), which saves parsing them on every call (`node dist/bench/micro.js claim`
// compares the two; docs/performance.md has the figures). Behind a pooler in transaction mode
// a named statement is not where the next transaction runs: Postgres answers 26000 or 42P05, and
// the queue calls them unnamed from then on (namedStatementLost).
const CLAIM = statement(`SELECT * FROM {schema}.claim_tasks($1::text[], $2::int[], $3, $4, $5::bigint[], $6)`);
const CLAIM_ONE_TYPE = statement(`SELECT * FROM {schema}.claim_one_type($1, $2, $3, $4, $5)`);

/** A named statement that this server connection does not have, or has from another client: a pooler's doing. */
export function namedStatementLost(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '26000' || code === '42P05';
}

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
  asyncCommit = false,
  named = false,
): Promise<ClaimedTask[]> {
  const asked = wants.filter((w) => w.limit > 0);
  if (asked.length === 0 && ackIds.length === 0) return [];
  const res =
    asked.length === 1 && ackIds.length === 0
      ? await db.query({
          name: named ? `swarmage-6-claim-one-${schema}` : undefined,
          text: CLAIM_ONE_TYPE(schema),
          values: [asked[0].type, asked[0].limit, droneId, leaseMs, asyncCommit],
        })
      : await db.query({
          name: named ? `swarmage-6-claim-${schema}` : undefined,
          text: CLAIM(schema),
          values: [asked.map((w) => w.type), asked.map((w) => w.limit), droneId, leaseMs, ackIds.map(taskId), asyncCommit],
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
