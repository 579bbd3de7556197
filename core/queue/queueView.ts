import type { QueueOverview, QueueTypeRow, TaskLookup, Trace } from '../api/types.js';
import type { GlobalQueue } from './globalQueue.js';

/** The most rows the overview reads per type and state: well under 10 ms a type on a table of millions. */
export const OVERVIEW_CAP = 10_000;

/** What one drone knows of tasks that ran in it. */
export interface LocalTraces {
  trace(id: string): Promise<Trace | null>;
  answeredBy(id: string): Promise<string[]>;
}

interface Sample {
  at: number;
  totals: Map<string, number>;
}

const total = (t: QueueTypeRow) => t.available + t.scheduled + t.claimed + t.failed;

/**
 * Tasks added per second, from two overviews: what the backlog grew by plus what was processed in
 * between. Processing counts attempts, so a failed attempt that goes back to the queue counts as
 * taken and not added: the figure is an estimate, and none is given where a count is capped.
 */
export function withEnqueueRates(types: QueueTypeRow[], prev: Sample | null, at: number): QueueTypeRow[] {
  const seconds = prev ? (at - prev.at) / 1000 : 0;
  return types.map((t) => {
    const before = prev?.totals.get(t.type);
    if (!prev || seconds < 0.5 || t.capped) return t;
    const grown = total(t) - (before ?? 0);
    return { ...t, enqueuedPerSec: Math.max(0, Math.round((grown / seconds + t.processedPerSec) * 10) / 10) };
  });
}

/**
 * The whole global queue as one UI sees it: the overview with rates between its own samples, and
 * where any task is. `selfId` marks this UI's drone in the fleet.
 */
export class QueueView {
  private prev: Sample | null = null;

  constructor(
    private readonly queue: GlobalQueue,
    private readonly selfId: () => string | null,
  ) {}

  async overview(): Promise<QueueOverview> {
    // Heartbeats and leases are times of the database's clock: `now` is of the same clock, whatever this machine's says.
    const [types, drones, at] = await Promise.all([this.queue.overview(OVERVIEW_CAP), this.queue.fleet(), this.queue.clock()]);
    const rated = withEnqueueRates(types, this.prev, at);
    this.prev = { at, totals: new Map(types.map((t) => [t.type, total(t)])) };
    const self = this.selfId();
    return { now: at, cap: OVERVIEW_CAP, types: rated, drones: drones.map((d) => ({ ...d, self: d.id === self })) };
  }

  /** `here` looks in this drone's local queue; a finished task is gone from the global queue. */
  async lookup(id: string, here: LocalTraces): Promise<TaskLookup> {
    const [global, postbacks, local, answeredBy] = await Promise.all([
      this.queue.findTask(id),
      this.queue.postbacksOf(id),
      here.trace(id),
      here.answeredBy(id),
    ]);
    const note =
      global || local || postbacks.length > 0 || answeredBy.length > 0
        ? null
        : `task ${id} is not on the global queue and this drone has no trace of it: it finished (or was cancelled) on another drone, or its trace was pruned`;
    return { id, global, trace: local, answers: global?.answers ?? local?.answers ?? null, postbacks, answeredBy, note };
  }
}
