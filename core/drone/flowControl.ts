/**
 * How much of one task type a drone buffers, claims and hands each worker ahead, sized from what it
 * measures rather than from settings — in the spirit of TCP's congestion window:
 *
 * - The buffer's target starts at the type's worker slots (instances × concurrency), so that a cold
 *   drone takes no more than it can start. Whenever a claim that came back full finds workers that
 *   finished their work and now wait for it ("starved"), it grows four-fold, or at once to what the
 *   workers finish in two claim round trips if that is more — never above its ceiling.
 * - The ceiling is what the workers start within FAIR_HORIZON_MS at the rate they finish tasks when
 *   they have work (their service rate, from busy time per finished task, so a task still running
 *   counts too). A buffer is work claimed away from other drones: one of 25-second tasks holds one
 *   per slot, one of 100 ms tasks a quarter of a second's worth, one of no-ops up to MAX_TARGET.
 * - A task holds its place until its whole `local:` chain has ended; the ceiling also follows the
 *   rate the type's chains end at, so a fast first stage is held to the pace of a slower one.
 * - Each instance is handed ahead what it runs in PREFETCH_HORIZON_MS, so fast tasks cross the IPC
 *   channel in batches and slow ones are not held back behind a busy worker (the pool also takes
 *   back what a stalled instance has not started).
 *
 * Explicit settings win: `maxPerWorker` fixes the buffer at maxPerWorker × instances (the seed's
 * behaviour), a worker's `prefetch` fixes what that instance takes ahead. Pure: the drone feeds it
 * measurements, the tests feed it recorded traces.
 */

import type { TypeStats } from '../api/types.js';

/**
 * A buffer's most: beyond it claims get slower (bigger claims and local transactions;
 * docs/performance.md), and the drone's memory grows with it: 1,000,000 tasks fed through a
 * buffer of 5,000 took its RSS from 200 to 418 MB, through 3,000 from 175 to 215 MB.
 */
export const MAX_TARGET = 3000;
/**
 * A drone buffers at most what its workers start within this time: the rest stays for other
 * drones. At the end of a drain every drone's buffer is a tail the others cannot help with: with
 * a second, three drones sharing 30,000 tasks of 1 ms took 1.06× as long as with 15 per worker.
 */
export const FAIR_HORIZON_MS = 250;
/** An instance is handed what it runs in this time, ahead. */
export const PREFETCH_HORIZON_MS = 20;
export const MAX_PREFETCH = 250;
/** Old measurements count half after this long. */
export const HALF_LIFE_MS = 2000;
/** A starved buffer's target grows by this factor per claim. */
export const GROWTH = 4;

/** What a type's workers did, cumulative since they started (the pool counts it). */
export interface ServiceSample {
  /** Tasks finished, done or failed. */
  finished: number;
  /** Time the instances held work, summed over them (a task still running counts up to now). */
  busyMs: number;
}

/** A claim's answer, as it concerns one type. */
export interface ClaimAnswer {
  asked: number;
  got: number;
  /** From sending the claim to its answer. */
  rttMs: number;
  /** Worker slots of the type with nothing to run when the answer came (before it was handed out). */
  idleSlots: number;
  /** Chains claimed as the type that are under way in later `local:` stages: they hold places too. */
  downstream?: number;
}

/** The controller's state as the snapshot shows it (see TypeStats). */
export type FlowView = Pick<TypeStats, 'flow' | 'capacity' | 'claimSize' | 'serviceRate' | 'prefetch'>;

/** What finished and the time it took, both summed with older samples counting half per HALF_LIFE_MS. */
class Decayed {
  finished = 0;
  busyMs = 0;
  /** The latest cumulative sample. */
  last: (ServiceSample & { at: number }) | null = null;

  add(now: number, sample: ServiceSample): void {
    const k = this.last === null ? 0 : Math.pow(0.5, Math.max(0, now - this.last.at) / HALF_LIFE_MS);
    const from = this.last ?? { finished: 0, busyMs: 0 };
    this.finished = this.finished * k + (sample.finished - from.finished);
    this.busyMs = this.busyMs * k + (sample.busyMs - from.busyMs);
    this.last = { ...sample, at: now };
  }
}

export class TypeFlow {
  private targetNow: number;
  private lastClaim = 0;
  private readonly service = new Decayed();
  /** Chains claimed as this type: ended, and time at least one was under way. */
  private readonly chains = new Decayed();
  /** Tasks finished by the last answer: workers idle at an answer after finishing some ran dry. */
  private finishedAtAnswer = 0;

  /** `slots`: instances × concurrency; `fixedCapacity`: maxPerWorker × instances when the config sets maxPerWorker. */
  constructor(
    readonly instances: number,
    readonly slots: number,
    readonly fixedCapacity: number | null,
  ) {
    this.targetNow = fixedCapacity ?? clamp(slots, 1, MAX_TARGET);
  }

  get mode(): 'auto' | 'fixed' {
    return this.fixedCapacity === null ? 'auto' : 'fixed';
  }

  /** Tasks to buffer at most, now. */
  target(): number {
    if (this.fixedCapacity !== null) return this.fixedCapacity;
    return Math.min(this.targetNow, this.ceiling());
  }

  /** Takes in what the workers did since the last sample. */
  observe(now: number, sample: ServiceSample): void {
    this.service.add(now, sample);
  }

  /**
   * Takes in the chains claimed as this type: how many ended, and for how long at least one was
   * under way (`busyMs`), cumulative. Chains that go on in a slower `local:` stage end at that
   * stage's pace, and the ceiling follows it.
   */
  observeChains(now: number, sample: ServiceSample): void {
    this.chains.add(now, sample);
  }

  /** Chains of this type ended per second while any was under way; null before one has. */
  chainRate(): number | null {
    const c = this.chains;
    return c.finished > 0 && c.busyMs > 0 ? (c.finished * 1000) / c.busyMs : null;
  }

  /**
   * Tasks per second the type's workers finish while they have work. Before the first finishes it
   * is at most one per instance per time held (a first task that runs for 10 s already says enough).
   */
  serviceRate(): number | null {
    const s = this.service;
    if (s.busyMs <= 0) return null;
    return (this.instances * (s.finished > 0 ? s.finished : 1) * 1000) / s.busyMs;
  }

  /**
   * The most the buffer may hold: the running slots plus what the workers start within
   * FAIR_HORIZON_MS — or, if its chains end slower than that, what they end within it.
   */
  ceiling(): number {
    const service = this.serviceRate();
    const chains = this.chainRate();
    if (service === null && chains === null) return MAX_TARGET;
    const rate = Math.min(service ?? Infinity, chains ?? Infinity);
    return clamp(this.slots + Math.floor((rate * FAIR_HORIZON_MS) / 1000), Math.max(1, this.slots), MAX_TARGET);
  }

  claimSent(limit: number): void {
    this.lastClaim = limit;
  }

  /**
   * A claim came back (after `observe`): workers that finished their work and sat idle waiting for
   * a claim that came back full mean the buffer is too small.
   */
  answered(a: ClaimAnswer): void {
    const finished = this.service.last?.finished ?? 0;
    // Idle workers whose chains fill half the buffer further down wait for a slower stage, not for claims.
    const ranDry = a.got >= a.asked && a.idleSlots > 0 && finished > this.finishedAtAnswer && 2 * (a.downstream ?? 0) < this.targetNow;
    this.finishedAtAnswer = finished;
    if (this.fixedCapacity !== null) return;
    this.targetNow = Math.min(this.targetNow, this.ceiling());
    if (!ranDry) return;
    const rate = this.serviceRate() ?? 0;
    this.targetNow = Math.min(this.ceiling(), Math.max(this.targetNow * GROWTH, this.slots + Math.ceil((rate * 2 * a.rttMs) / 1000)));
  }

  /**
   * Tasks an instance takes ahead: what it runs in PREFETCH_HORIZON_MS, no more than its share of
   * the buffer (the instance itself never takes fewer than its concurrency).
   */
  prefetch(): number {
    const rate = this.serviceRate();
    const perInstance = rate === null ? 1 : Math.floor((rate / this.instances) * (PREFETCH_HORIZON_MS / 1000));
    const share = Math.ceil(this.target() / Math.max(1, this.instances));
    return clamp(Math.min(perInstance, share), 1, MAX_PREFETCH);
  }

  view(prefetch: number | null): FlowView {
    return { flow: this.mode, capacity: this.target(), claimSize: this.lastClaim, serviceRate: this.serviceRate(), prefetch };
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}
