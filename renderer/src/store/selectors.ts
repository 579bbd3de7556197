import type { DatabaseState, DroneSnapshot, Snapshot } from '../../../core/api/contract.js';

/** Task types this drone serves, in config order. */
export function typeNames(snapshot: Snapshot | null): string[] {
  return snapshot?.drone?.types.map((t) => t.type) ?? [];
}

/** The database's state; a drone of a version before the field (attached remotely) says only whether it is connected. */
export function databaseState(db: DroneSnapshot['database']): DatabaseState {
  return db.state ?? (db.connected ? 'connected' : 'unreachable');
}

/** One line saying what is wrong with the database, in the words of its state, or null when it is fine. */
export function databaseProblem(drone: DroneSnapshot | null): string | null {
  const state = drone ? databaseState(drone.database) : 'connected';
  if (!drone || state === 'connected') return null;
  const { url, lastError, source } = drone.database;
  const what = source === 'gateway' ? GATEWAY_PROBLEM : DATABASE_PROBLEM;
  // An error that names the address already (a gateway's link errors do) is not told it twice.
  if (lastError?.includes(url)) return `${what[state]}: ${lastError}`;
  return `${what[state]} at ${url}${lastError ? `: ${lastError}` : ''}`;
}

const GATEWAY_PROBLEM: Record<Exclude<DatabaseState, 'connected'>, string> = {
  unreachable: 'Queue unreachable',
  timeout: 'Queue not answering',
  error: 'Queue refused a call',
};

const DATABASE_PROBLEM: Record<Exclude<DatabaseState, 'connected'>, string> = {
  unreachable: 'Database unreachable',
  timeout: 'Database not answering',
  error: 'Database error',
};
