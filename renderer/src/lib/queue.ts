/**
 * The Queue and Fleet views' rules, apart from React: which rows come first, which counts are lower
 * bounds, how a drone id is shortened, and what to say about the claims of a drone that went quiet.
 */
import type { FleetDrone, QueueOverview, QueueTypeRow } from '../../../core/api/contract.js';
import { formatDuration, formatTimeOfDay, plural } from './format.js';

export type CountKey = 'available' | 'scheduled' | 'claimed' | 'failed';
export const COUNT_KEYS: readonly CountKey[] = ['available', 'scheduled', 'claimed', 'failed'];

/** The outage to see comes first: types with due tasks and no live drone, then the rest by name. */
export function sortTypes(types: readonly QueueTypeRow[]): QueueTypeRow[] {
  return [...types].sort((a, b) => Number(b.unserved) - Number(a.unserved) || a.type.localeCompare(b.type));
}

/**
 * Which of a row's counts are lower bounds. The overview reads at most `cap` rows per type and state:
 * the waiting ones (available and scheduled) together, the failed ones, and the claimed ones of all
 * types together.
 */
export function lowerBounds(row: QueueTypeRow, overview: Pick<QueueOverview, 'cap' | 'types'>): Record<CountKey, boolean> {
  const waiting = row.available + row.scheduled >= overview.cap;
  const claimed = overview.types.reduce((sum, t) => sum + t.claimed, 0) >= overview.cap;
  return { available: waiting, scheduled: waiting, claimed, failed: row.failed >= overview.cap };
}

/** "in 4 s" under a minute, then "in 2 m 05 s". */
export function inTime(ms: number): string {
  return ms < 60_000 ? `in ${Math.max(0, Math.ceil(ms / 1000))} s` : `in ${formatDuration(ms)}`;
}

/**
 * A drone id short enough for a table cell (the full one goes in its title). The default id is
 * "hostname-pid-random": the host's start and the random part tell drones apart.
 */
export function shortDroneId(id: string): string {
  const m = /^(.+)-\d+-([0-9a-f]{8})$/.exec(id);
  if (m) return `${m[1].length > 12 ? `${m[1].slice(0, 11)}…` : m[1]}-${m[2]}`;
  return id.length > 20 ? `${id.slice(0, 19)}…` : id;
}

/**
 * For a drone that stopped heartbeating and still holds tasks: when they go back to the queue. A
 * claim's lease ends, then the next rescue pass of any live drone (every third of its lease) frees it.
 */
export function claimsReturnText(d: FleetDrone, now: number): string | null {
  if (d.state === 'alive' || d.held === 0 || d.claimsReturnAt === null) return null;
  const claims = `its ${plural(d.held, 'claim')} ${d.held === 1 ? 'returns' : 'return'}`;
  const at = formatTimeOfDay(d.claimsReturnAt);
  if (d.claimsReturnAt > now) return `${claims} at ${at} (${inTime(d.claimsReturnAt - now)})`;
  return `${claims} to the queue with a live drone's next rescue pass (leases ended at ${at})`;
}

/** "3 drones: 2 alive, 1 dead". */
export function fleetSummary(drones: readonly FleetDrone[]): string {
  if (drones.length === 0) return 'no drone has registered';
  const by = (s: FleetDrone['state']) => drones.filter((d) => d.state === s).length;
  const parts = (['alive', 'stale', 'dead'] as const).filter((s) => by(s) > 0).map((s) => `${by(s)} ${s}`);
  return `${plural(drones.length, 'drone')}: ${parts.join(', ')}`;
}
