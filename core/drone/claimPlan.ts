import type { ClaimRequest } from '../queue/types.js';

/** One type's room, as the drone sees it before a claim. */
export interface TypeRoom {
  type: string;
  /** Steps of the type in the drone: waiting, and handed to a worker. */
  buffered: number;
  capacity: number;
  /** How many steps its workers take at once, all instances together. */
  prefetch: number;
  /** Its last claim came back short: no point asking again before a wake-up or the poll. */
  exhausted: boolean;
}

/**
 * Types with room in their buffer, and how much to ask for. An empty buffer first asks for what
 * its workers can start on at once (twice their prefetch): a burst then starts running after a
 * small claim rather than after a whole buffer's worth, and the rest follows while they work (a
 * claim that comes back full is followed by the next at once).
 * A buffer with work in it waits until a tenth of it is free (or its workers' prefetch): every
 * claim is planned afresh by Postgres, so a claim per handful of tasks would cost more.
 */
export function planClaims(rooms: readonly TypeRoom[]): ClaimRequest[] {
  const wants: ClaimRequest[] = [];
  for (const r of rooms) {
    if (r.exhausted) continue;
    const free = r.capacity - r.buffered;
    if (r.buffered === 0) {
      if (free > 0) wants.push({ type: r.type, limit: Math.min(free, 2 * r.prefetch) });
      continue;
    }
    if (free >= Math.max(1, Math.min(Math.floor(r.capacity / 10), r.prefetch))) wants.push({ type: r.type, limit: free });
  }
  return wants;
}
