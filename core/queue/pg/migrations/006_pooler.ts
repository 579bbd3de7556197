/**
 * The claim as two functions, so that it works the same through a connection pooler in transaction
 * mode (PgBouncer, Supavisor, RDS Proxy) as on a direct connection, and leaves nothing behind on a
 * pooled connection that another client gets next:
 * - SQL-standard bodies (BEGIN ATOMIC, Postgres 14 and later): parsed once, when the function is
 *   created, so a call parses only the call, and a drone behind a pooler that loses its named
 *   statements (claim.ts) pays little for calling them unnamed. Idle latency, bench case 2, same
 *   run: as fast as the inline named statements before; a PL/pgSQL body cost 6 % more (p50);
 * - the plan is made for each call (SET plan_cache_mode on the function, restored when it returns;
 *   Postgres 18 caches a SQL function's plans): a plan kept from an idle spell, with the table
 *   empty, would read the whole table in a burst;
 * - p_async_commit turns synchronous_commit off for the claim's own transaction only (config
 *   queue.config.asyncClaimCommit), never for the session.
 * The statements themselves are the ones core/queue/pg/claim.ts documents. And the drones table
 * records each drone's wake-up mode, so that `swarmage status` and the Fleet view show which
 * drones poll because notifications do not reach them.
 */
const CLAIMED_COLUMNS = `id bigint, type text, data text, postback text, attempts int, max_attempts int, priority int,
  created_ms float8, replay_of text, resume_type text, resume_data text, trace_id text`;
const CLAIMED_ROW = `t.id, t.type, t.data::text, t.postback, t.attempts, t.max_attempts, t.priority,
  (extract(epoch FROM t.created_at) * 1000)::float8, t.replay_of, t.resume_type, t.resume_data::text, t.trace_id`;
/** What both functions are: planned per call, asynchronous commit per transaction, a claim's rows out. */
const CLAIM_FUNCTION = `RETURNS TABLE (${CLAIMED_COLUMNS})
LANGUAGE sql VOLATILE SET plan_cache_mode = force_custom_plan
BEGIN ATOMIC
  SELECT set_config('synchronous_commit', 'off', true) WHERE p_async_commit;`;
const TAKE = `state = 'claimed', claimed_by = p_drone, claimed_at = now(), lease_until = now() + make_interval(secs => p_lease_ms / 1000.0),
    attempts = t.attempts + 1`;

export default `
-- What the heartbeat reports of how the drone learns of new tasks (core/util/wakeups.ts).
ALTER TABLE {schema}.drones ADD COLUMN wakeups text CHECK (wakeups IS NULL OR char_length(wakeups) <= 40);

CREATE FUNCTION {schema}.claim_tasks(p_types text[], p_limits int[], p_drone text, p_lease_ms int, p_acks bigint[], p_async_commit boolean)
${CLAIM_FUNCTION}
  WITH acked AS (
    DELETE FROM {schema}.tasks WHERE id = ANY(p_acks) AND claimed_by = p_drone AND state = 'claimed'
  ), wanted AS (
    SELECT * FROM unnest(p_types, p_limits) AS w(type, n)
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
  WHERE t.id = ANY(ARRAY(SELECT id FROM picked))
  RETURNING ${CLAIMED_ROW};
END;

CREATE FUNCTION {schema}.claim_one_type(p_type text, p_limit int, p_drone text, p_lease_ms int, p_async_commit boolean)
${CLAIM_FUNCTION}
  UPDATE {schema}.tasks t
  SET ${TAKE}
  WHERE t.id = ANY(ARRAY(
    SELECT id FROM {schema}.tasks
    WHERE state = 'available' AND type = p_type AND run_at <= now()
    ORDER BY priority DESC, run_at, id
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED))
  RETURNING ${CLAIMED_ROW};
END;
`;
