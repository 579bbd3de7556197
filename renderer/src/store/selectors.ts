import type { DroneSnapshot, Snapshot } from '../../../core/api/contract.js';

/** Task types this drone serves, in config order. */
export function typeNames(snapshot: Snapshot | null): string[] {
  return snapshot?.drone?.types.map((t) => t.type) ?? [];
}

/** One line saying what is wrong with the database connection, or null when it is fine. */
export function databaseProblem(drone: DroneSnapshot | null): string | null {
  if (!drone || drone.database.connected) return null;
  return `Database unreachable at ${drone.database.url}${drone.database.lastError ? `: ${drone.database.lastError}` : ''}`;
}
