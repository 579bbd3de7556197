import os from 'node:os';
import type { DroneRow } from '../queue/types.js';
import { VERSION } from '../util/version.js';
import { wakeupToken } from '../util/wakeups.js';
import { NoAnswerError } from './dbErrors.js';
import type { DroneContext } from './ports.js';

/** The drone's row on the global queue: who it is and what it serves. */
export function droneRow(id: string, types: string[], startedAt: number): DroneRow {
  return { id, host: os.hostname(), pid: process.pid, taskTypes: types, startedAt: new Date(startedAt), version: VERSION };
}

/**
 * Keeps the drone's leases: every third of the lease it tells the global queue it is alive and
 * extends the leases of what its local queue holds; every half lease it also frees the tasks of
 * drones that stopped heartbeating (`rescued` then wakes the claim loop).
 */
export class Heartbeat {
  private beating = false;
  private lastRescue = 0;

  constructor(
    private readonly drone: DroneContext,
    private readonly startedAt: number,
    private readonly rescued: () => void,
  ) {}

  row(): DroneRow {
    const wakeups = this.drone.wakeupView();
    return {
      ...droneRow(this.drone.id, this.drone.buffers.types(), this.startedAt),
      rates: this.drone.buffers.rates(Date.now()),
      ...(wakeups ? { wakeups: wakeupToken(wakeups) } : {}),
    };
  }

  async beat(): Promise<void> {
    const d = this.drone;
    // One at a time: while a heartbeat waits for its answer, more of them would only pile up.
    if (this.beating) return;
    // Only the leases of tasks the local queue holds are extended: see heartbeat() in core/queue/pg/leases.ts.
    // Asked before the database is, so that a local queue that fails is never told as a database problem.
    let held: string[] | undefined;
    try {
      held = d.local?.heldRootIds();
    } catch (err) {
      d.localQueueFailed(err, 'skipping this heartbeat');
      return;
    }
    this.beating = true;
    // A stalled connection never fails by itself; a heartbeat that gets no answer in time means the
    // database is not answering this drone, and the snapshot must say so.
    const patienceMs = Math.max(200, Math.floor(d.config.leaseMs / 6));
    const watchdog = setTimeout(() => d.health.down(new NoAnswerError(patienceMs), 'heartbeat'), patienceMs);
    try {
      await d.queue.heartbeat(this.row(), d.config.leaseMs, held);
      clearTimeout(watchdog);
      d.health.up('heartbeat');
    } catch (err) {
      d.health.down(err, 'heartbeat');
      return;
    } finally {
      clearTimeout(watchdog);
      this.beating = false;
    }
    // The rescue pass runs outside the heartbeat's turn, so a slow one never delays the next heartbeat.
    if (Date.now() - this.lastRescue > d.config.leaseMs / 2) {
      this.lastRescue = Date.now();
      try {
        const rescued = await d.queue.rescueExpired();
        if (rescued.length > 0) {
          d.log.warn(`rescued ${rescued.length} task(s) whose drone stopped heartbeating`);
          this.rescued();
        }
        d.health.up('rescue');
      } catch (err) {
        d.health.down(err, 'rescue');
      }
    }
  }
}
