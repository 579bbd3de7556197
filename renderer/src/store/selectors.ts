import type { DroneSnapshot, Snapshot } from '../../../core/api/contract.js';

/** Task types this drone serves, in config order. */
export function typeNames(snapshot: Snapshot | null): string[] {
  return snapshot?.drone?.types.map((t) => t.type) ?? [];
}

export function workerIds(snapshot: Snapshot | null): string[] {
  return snapshot?.drone?.workers.map((w) => w.id) ?? [];
}

/** One line saying what is wrong with the database connection, or null when it is fine. */
export function databaseProblem(drone: DroneSnapshot | null): string | null {
  if (!drone || drone.database.connected) return null;
  return `Database unreachable at ${drone.database.url}${drone.database.lastError ? `: ${drone.database.lastError}` : ''}`;
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
