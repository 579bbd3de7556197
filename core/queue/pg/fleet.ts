import type { Db } from './db.js';
import { statement } from './db.js';
import type { FleetDrone } from '../../api/types.js';

// Every drone that registered, with what it holds. Held tasks come from the claimed index by drone.
const FLEET = statement(`
SELECT d.id, d.host, d.pid, d.task_types, d.version, d.lease_ms, d.wakeups,
  floor(extract(epoch FROM d.started_at) * 1000)::float8 AS started_at,
  floor(extract(epoch FROM d.heartbeat_at) * 1000)::float8 AS heartbeat_at,
  (extract(epoch FROM now() - d.heartbeat_at) * 1000)::float8 AS age_ms,
  h.held, floor(extract(epoch FROM h.lease_max) * 1000)::float8 AS lease_max
FROM {schema}.drones d
CROSS JOIN LATERAL (
  SELECT count(*)::int AS held, max(t.lease_until) AS lease_max FROM {schema}.tasks t WHERE t.claimed_by = d.id AND t.state = 'claimed'
) h
ORDER BY d.started_at, d.id`);

/**
 * A drone heartbeats every third of its lease: one beat late is stale (its tasks are still its own),
 * a whole lease late is dead, and its claims go back to the queue once their leases end (the next
 * rescue pass of any live drone, within half a lease after that).
 */
export function droneState(ageMs: number, leaseMs: number): FleetDrone['state'] {
  if (ageMs < (leaseMs * 2) / 3) return 'alive';
  return ageMs < leaseMs ? 'stale' : 'dead';
}

export async function fleet(db: Db, schema: string): Promise<FleetDrone[]> {
  const res = await db.query(FLEET(schema));
  return res.rows.map((r) => {
    const state = droneState(r.age_ms, r.lease_ms);
    return {
      id: r.id,
      host: r.host,
      pid: r.pid,
      types: r.task_types,
      version: r.version,
      wakeups: r.wakeups,
      startedAt: r.started_at,
      heartbeatAt: r.heartbeat_at,
      state,
      leaseMs: r.lease_ms,
      held: r.held,
      claimsReturnAt: state !== 'alive' && r.held > 0 ? r.lease_max : null,
      self: false,
    };
  });
}
