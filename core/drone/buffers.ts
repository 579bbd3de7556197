import type { TypeStats } from '../api/types.js';
import type { DroneState } from '../api/types.js';
import type { Finished, Step } from '../queue/local/types.js';
import type { ClaimRequest, ResumePoint } from '../queue/types.js';
import type { TypeRoom } from './claimPlan.js';
import type { WorkerPoolLike } from '../workers/poolLike.js';
import { RateMeter } from './rates.js';
import { TypeFlow } from './flowControl.js';

interface Counters {
  done: number;
  failed: number;
  rate: RateMeter;
}

/**
 * The drone's steps waiting for a worker, per type and in order: the queued rows of the local
 * queue, mirrored in memory. Feeding a type hands its workers what they have room for.
 */
export class Buffers {
  private readonly waiting = new Map<string, Step[]>();
  private readonly counters = new Map<string, Counters>();
  /** How much each type buffers, claims and hands ahead (flowControl.ts). */
  private readonly flows = new Map<string, TypeFlow>();
  /** Types whose last claim came back short: asked again after a wake-up or the poll. */
  private readonly exhausted = new Set<string>();
  /** Counts news (a wake-up, a poll); per type, and for all types, the count at the latest. */
  private news = 0;
  private readonly newsOf = new Map<string, number>();
  private newsOfAll = 0;
  /** When the claim now answered was sent. */
  private claimSentAt = 0;
  /**
   * Chains under way, by the type they were claimed as: a claimed task whose chain goes on in a
   * slower `local:` stage still holds its place, so a fast first stage cannot claim past its
   * target while the chains pile up behind it.
   */
  private readonly chainRoots = new Map<string, string>();
  private readonly openChains = new Map<string, number>();
  /** Per type: chains ended, time at least one was under way, and since when one is (the flow's chain rate). */
  private readonly chainClock = new Map<string, { ended: number; openMs: number; since: number | null }>();

  /** `maxPerWorker`: the config's, when set: each type's buffer is fixed at maxPerWorker × instances. */
  constructor(
    private readonly pool: WorkerPoolLike,
    maxPerWorker: number | undefined,
  ) {
    for (const type of pool.types()) {
      this.waiting.set(type, []);
      this.counters.set(type, { done: 0, failed: 0, rate: new RateMeter() });
      this.chainClock.set(type, { ended: 0, openMs: 0, since: null });
      const instances = pool.instanceCount(type);
      this.flows.set(type, new TypeFlow(instances, pool.slots(type), maxPerWorker === undefined ? null : maxPerWorker * instances));
    }
  }

  types(): string[] {
    return [...this.waiting.keys()];
  }

  serves(type: string): boolean {
    return this.waiting.has(type);
  }

  capacity(type: string): number {
    return this.flows.get(type)?.target() ?? 0;
  }

  /** Waiting plus handed to a worker. */
  buffered(type: string): number {
    return (this.waiting.get(type)?.length ?? 0) + this.pool.inflightCount(type);
  }

  /** What counts against a type's target: its steps here, or the chains claimed as it, whichever is more. */
  private held(type: string): number {
    return Math.max(this.buffered(type), this.openChains.get(type) ?? 0);
  }

  /** Chains that ended here (done, or failed back to the global queue): their places are free. */
  chainsEnded(finished: readonly Finished[], now = Date.now()): void {
    for (const f of finished) {
      const type = this.chainRoots.get(f.rootId);
      if (type === undefined) continue;
      this.chainRoots.delete(f.rootId);
      this.chainOpened(type, -1, now);
    }
  }

  private chainOpened(type: string, by: 1 | -1, now: number): void {
    const open = (this.openChains.get(type) ?? 0) + by;
    this.openChains.set(type, open);
    const clock = this.chainClock.get(type)!;
    if (by < 0) clock.ended++;
    if (open > 0) clock.since ??= now;
    else if (clock.since !== null) {
      clock.openMs += now - clock.since;
      clock.since = null;
    }
  }

  totalBuffered(): number {
    let n = 0;
    for (const type of this.waiting.keys()) n += this.buffered(type);
    return n;
  }

  /** Tasks of `type` (of every type when absent) may be waiting: claim them. */
  mayHaveWork(type?: string): void {
    this.news++;
    if (type === undefined) {
      this.exhausted.clear();
      this.newsOfAll = this.news;
    } else {
      this.exhausted.delete(type);
      this.newsOf.set(type, this.news);
    }
  }

  /** Taken when a claim is sent, for ranDry. */
  newsMark(): number {
    return this.news;
  }

  /**
   * A claim sent at `mark` got fewer tasks of `type` than it asked: none are left — unless news
   * came while it was on its way (a task enqueued after the claim read the table, before its answer
   * came back), which must not be lost, or the task waits for the next poll.
   */
  ranDry(type: string, mark: number): void {
    if (this.newsOfAll > mark || (this.newsOf.get(type) ?? 0) > mark) return;
    this.exhausted.add(type);
  }

  isExhausted(type: string): boolean {
    return this.exhausted.has(type);
  }

  /** Each type's room, after taking in what its workers did since the last look. */
  rooms(now = Date.now()): TypeRoom[] {
    return this.types().map((type) => {
      this.measure(type, now);
      return {
        type,
        buffered: this.held(type),
        capacity: this.capacity(type),
        prefetch: this.pool.prefetchTotal(type),
        exhausted: this.exhausted.has(type),
      };
    });
  }

  private measure(type: string, now: number): TypeFlow {
    const flow = this.flows.get(type)!;
    flow.observe(now, this.pool.service(type, now));
    const clock = this.chainClock.get(type)!;
    flow.observeChains(now, { finished: clock.ended, busyMs: clock.openMs + (clock.since === null ? 0 : now - clock.since) });
    if (!this.pool.prefetchFixed(type)) this.pool.setAutoPrefetch(type, flow.prefetch());
    return flow;
  }

  /** A claim is on its way: what it asks of each type. */
  claiming(wants: readonly ClaimRequest[], now = Date.now()): void {
    this.claimSentAt = now;
    for (const w of wants) this.flows.get(w.type)?.claimSent(w.limit);
  }

  /** A claim's answer, before what it brought is handed out: the flow controller learns from it. */
  answered(wants: readonly ClaimRequest[], got: ReadonlyMap<string, number>, now = Date.now()): void {
    for (const w of wants) {
      if (!this.flows.has(w.type)) continue;
      const flow = this.measure(w.type, now);
      // Workers idle while steps wait in the drone wait for the drone, not for a claim.
      const idleSlots = this.waiting.get(w.type)!.length === 0 ? this.pool.idleSlots(w.type) : 0;
      const downstream = Math.max(0, (this.openChains.get(w.type) ?? 0) - this.buffered(w.type));
      flow.answered({ asked: w.limit, got: got.get(w.type) ?? 0, idleSlots, rttMs: now - this.claimSentAt, downstream });
    }
  }

  /**
   * Appends steps of served types; returns the types that got some. A step of a type this drone
   * does not serve goes to `unserved` (a chain that resumes at a type this drone has no worker for).
   */
  push(steps: readonly Step[], unserved?: Step[]): Set<string> {
    const types = new Set<string>();
    const now = Date.now();
    for (const s of steps) {
      const list = this.waiting.get(s.type);
      if (list === undefined) {
        unserved?.push(s);
        continue;
      }
      list.push(s);
      types.add(s.type);
      if (s.parentId === null && !this.chainRoots.has(s.rootId)) {
        this.chainRoots.set(s.rootId, s.type);
        this.chainOpened(s.type, 1, now);
      }
    }
    return types;
  }

  /** Steps a worker held but never started: back to the front, in their order. */
  putBack(steps: Step[]): Set<string> {
    const types = new Set<string>();
    for (let i = steps.length - 1; i >= 0; i--) {
      this.waiting.get(steps[i].type)?.unshift(steps[i]);
      types.add(steps[i].type);
    }
    return types;
  }

  /** Hands waiting steps of `type` to its workers, as far as the drone's state allows. */
  feed(type: string, state: DroneState): void {
    const list = this.waiting.get(type);
    if (!list || list.length === 0 || state === 'paused') return;
    if (state === 'stopping') {
      // While stopping, only chains already under way go on; fresh tasks wait to be given back.
      const hops = list.filter((s) => s.parentId !== null);
      if (hops.length === 0) return;
      const rest = list.filter((s) => s.parentId === null);
      this.pool.fill(type, hops);
      list.length = 0;
      list.push(...hops, ...rest);
      return;
    }
    this.pool.fill(type, list);
  }

  feedAll(state: DroneState): void {
    for (const type of this.waiting.keys()) this.feed(type, state);
  }

  hasWaitingHops(): boolean {
    for (const list of this.waiting.values()) if (list.some((s) => s.parentId !== null)) return true;
    return false;
  }

  /** The global tasks of the steps still waiting: what a stopping drone gives back. */
  waitingRoots(): Set<string> {
    const roots = new Set<string>();
    for (const list of this.waiting.values()) for (const s of list) roots.add(s.rootId);
    return roots;
  }

  /** The `local:` hops still waiting, as where their chains go on once given back (steps before them ran). */
  waitingHops(): ResumePoint[] {
    const points: ResumePoint[] = [];
    for (const list of this.waiting.values())
      for (const s of list) if (s.parentId !== null) points.push({ id: s.rootId, resumeType: s.type, resumeDataJson: s.dataJson });
    return points;
  }

  /** Counts a finished step of `type` (done or failed). */
  count(type: string, ok: boolean, now: number): void {
    const c = this.counters.get(type);
    if (!c) return;
    c.rate.add(1, now);
    if (ok) c.done++;
    else c.failed++;
  }

  /** Steps finished per second by type over the last 5 s: what the heartbeat tells the other drones' UIs. */
  rates(now: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [type, c] of this.counters) out[type] = Math.round(c.rate.perSecond(5, now) * 10) / 10;
    return out;
  }

  stats(now: number): TypeStats[] {
    return this.types().map((type) => {
      const c = this.counters.get(type)!;
      const flow = this.flows.get(type)!;
      return {
        type,
        rate: c.rate.perSecond(5, now),
        history: c.rate.history(60, now),
        instances: this.pool.instanceCount(type),
        ...flow.view(this.pool.prefetchFixed(type) ? null : flow.prefetch()),
        buffered: this.buffered(type),
        running: this.pool.runningCount(type),
        done: c.done,
        failed: c.failed,
      };
    });
  }
}
