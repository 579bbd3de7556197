import type { Db } from './db.js';
import { statement } from './db.js';
import type { DroneRow } from '../types.js';

const HEARTBEAT = statement(`
WITH me AS (
  INSERT INTO {schema}.drones (id, host, pid, task_types, started_at, heartbeat_at, lease_ms, version, stats, wakeups)
  VALUES ($1, $2, $3, $4, $5, now(), $6, $8, $9, $10)
  ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, task_types = EXCLUDED.task_types,
    started_at = EXCLUDED.started_at, heartbeat_at = now(), lease_ms = EXCLUDED.lease_ms, version = EXCLUDED.version, stats = EXCLUDED.stats,
    wakeups = EXCLUDED.wakeups
  RETURNING id
)
UPDATE {schema}.tasks SET lease_until = now() + make_interval(secs => $6::int / 1000.0)
WHERE claimed_by = (SELECT id FROM me) AND state = 'claimed' AND ($7::bigint[] IS NULL OR id = ANY($7::bigint[]))`);

// Tasks whose drone stopped heartbeating: back to the queue, or failed if that was their last attempt.
// A drone silent for a day that holds nothing is forgotten, so the fleet does not list every drone
// that ever died without saying goodbye (one still holding tasks goes once they are rescued).
const RESCUE = statement(`
WITH forgotten AS (
  DELETE FROM {schema}.drones d WHERE d.heartbeat_at < now() - interval '1 day'
    AND NOT EXISTS (SELECT 1 FROM {schema}.tasks t WHERE t.claimed_by = d.id AND t.state = 'claimed')
)
UPDATE {schema}.tasks
SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'available' END,
    last_error = 'lease expired: drone ' || claimed_by || ' stopped heartbeating while running this task',
    last_error_stack = NULL, error_group = 'lease-expired', failed_at = now(),
    claimed_by = NULL, lease_until = NULL
WHERE state = 'claimed' AND lease_until < now()
RETURNING id`);

const DEREGISTER = statement(`DELETE FROM {schema}.drones WHERE id = $1`);

/**
 * Records that the drone is alive and extends the leases of the tasks it holds (`held`: the ids in
 * its local queue; all its claims when not given). A running drone passes `held` so that a claim it
 * never received — the connection broke after Postgres committed it — is not kept alive forever: its
 * lease runs out and any drone rescues it. Returns the tasks extended.
 */
export async function heartbeat(db: Db, schema: string, drone: DroneRow, leaseMs: number, held?: string[]): Promise<number> {
  const res = await db.query(HEARTBEAT(schema), [
    drone.id,
    drone.host,
    drone.pid,
    drone.taskTypes,
    drone.startedAt,
    leaseMs,
    held ?? null,
    drone.version ?? null,
    drone.rates ? JSON.stringify(drone.rates) : null,
    drone.wakeups ?? null,
  ]);
  return res.rowCount ?? 0;
}

export async function rescueExpired(db: Db, schema: string): Promise<string[]> {
  const res = await db.query<{ id: string }>(RESCUE(schema));
  return res.rows.map((r) => r.id);
}

export async function deregister(db: Db, schema: string, droneId: string): Promise<void> {
  await db.query(DEREGISTER(schema), [droneId]);
}
