/**
 * What the cases share: the drain measurement, the round-robin over systems, and the bookkeeping
 * of one case (samples, errors, tables).
 */
import os from 'node:os';
import pg from 'pg';
import { BenchEnv, now, progress, settleTables, sleep } from './env.js';
import type { QueueAdapter, Running, SystemSpec } from './system.js';
import type { Curve } from './tally.js';
import { describeSystem, type CaseResult } from './results.js';
import type { Table } from './table.js';
import { round } from './stats.js';

export interface CaseOptions {
  env: BenchEnv;
  rounds: number;
  /** Sizes per case name (drain, backlog, memory, ui, latency, startup). */
  sizes: Record<string, number[]>;
  /** Longest a drain sample may run, seconds. */
  capSeconds: number;
  /** Only these system ids, when given. */
  only: Set<string> | null;
  systems: SystemSpec[];
  quick: boolean;
}

export class CaseRecorder {
  readonly result: CaseResult;
  private readonly t0 = now();

  constructor(num: number, name: string, title: string, params: Record<string, unknown>, systems: SystemSpec[]) {
    this.result = {
      case: num,
      name,
      title,
      params,
      systems: systems.map(describeSystem),
      samples: [],
      summary: [],
      ratios: [],
      tables: [],
      notes: [],
      errors: [],
      startedAt: new Date().toISOString(),
      seconds: 0,
    };
  }

  sample(s: Record<string, unknown>): void {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) out[k] = typeof v === 'number' ? round(v, 5) : v;
    out.loadavg1 = round(os.loadavg()[0], 3);
    this.result.samples.push(out);
  }

  error(where: string, err: unknown): void {
    const msg = `${where}: ${(err as Error)?.stack ?? String(err)}`;
    this.result.errors.push(msg.slice(0, 4000));
    progress(`ERROR ${msg.split('\n').slice(0, 6).join('\n')}`);
  }

  table(t: Table): void {
    this.result.tables.push(t);
  }

  finish(): CaseResult {
    this.result.seconds = Math.round((now() - this.t0) / 100) / 10;
    return this.result;
  }
}

/** Samples of one metric keyed by system (and size), with the round each came from. */
export class Series {
  private readonly data = new Map<string, Map<number, number>>();

  add(key: string, roundNo: number, value: number): void {
    let m = this.data.get(key);
    if (!m) this.data.set(key, (m = new Map()));
    m.set(roundNo, value);
  }

  get(key: string): Map<number, number> {
    return this.data.get(key) ?? new Map();
  }

  values(key: string): number[] {
    return [...this.get(key).values()];
  }
}

export interface DrainOutcome {
  /** Jobs handled (≥ n unless it timed out). */
  handled: number;
  /** Commit of the fill → queue observed empty (or the cap), seconds. */
  seconds: number;
  /** n ÷ seconds; handled ÷ seconds when the cap cut it short. */
  rate: number;
  /** n ÷ (first job handled → queue empty): without the reaction to the commit and the first claim. */
  rateFromFirst: number;
  /** Commit → first job handled, ms: waking up (NOTIFY or poll) and the first claim. */
  reactionMs: number;
  timedOut: boolean;
  /** start() → the consumer up and idle, ms (not part of the rate). */
  startupMs: number;
  /** Filling the queue (one transaction), s. */
  fillSeconds: number;
  t0: number;
  t1: number;
  curve: Curve;
  /** Warnings and errors our drone logged during the sample. */
  complaints: string[];
}

/** How long a started consumer is left idle before the queue is filled (its first polls settle). */
const IDLE_MS = 500;

/**
 * Starts the consumer on an empty queue and lets it settle; then fills the queue with n jobs in ONE
 * transaction (bulk statements of 10,000), so that all n become visible at once, at its commit (t0);
 * t1 is the moment the database holds no unfinished job. rate = n / (t1 − t0): waking up, claiming,
 * running and acknowledging, with no process start-up in it and nothing the consumer could do before
 * the jobs existed. The handlers count in memory (peers) or in files (our workers), so nothing polls
 * Postgres until the last job has been handled.
 */
export async function drain(
  q: QueueAdapter,
  spec: SystemSpec,
  n: number,
  dir: string,
  capSeconds: number,
  extra?: {
    ui?: boolean;
    /** Called once the consumer is up (the UI case connects its client here). */
    onReady?: (r: Running) => Promise<void>;
  },
): Promise<DrainOutcome> {
  await q.reset();
  await settleTables(q.url, q.tables);
  const running = await q.start({ dir, mode: 'count', ui: extra?.ui });
  try {
    await running.ready;
    const startupMs = now() - running.startedAt;
    if (extra?.onReady) await extra.onReady(running);
    await sleep(IDLE_MS);
    const fill = new pg.Client({ connectionString: q.url });
    await fill.connect();
    const tFill = now();
    let t0: number;
    try {
      await fill.query('BEGIN');
      await q.enqueue(n, fill);
      await fill.query('COMMIT');
      t0 = now();
    } finally {
      await fill.end().catch(() => {});
    }
    const cap = t0 + (spec.capSeconds ?? capSeconds) * 1000;
    while (running.done() < n && now() < cap) {
      const problem = running.problem?.();
      if (problem) throw new Error(problem);
      await sleep(5);
    }
    let t1: number | null = null;
    if (running.done() >= n) {
      while (now() < cap) {
        if ((await q.remaining()) === 0) {
          t1 = now();
          break;
        }
        await sleep(2);
      }
    }
    const timedOut = t1 === null;
    const curve = running.curve();
    const handled = curve.total;
    const end = t1 ?? now();
    const seconds = (end - t0) / 1000;
    const first = curve.first ?? end;
    return {
      handled,
      seconds,
      rate: (timedOut ? handled : n) / seconds,
      rateFromFirst: (timedOut ? handled : n) / ((end - first) / 1000),
      reactionMs: first - t0,
      timedOut,
      startupMs,
      fillSeconds: (t0 - tFill) / 1000,
      t0,
      t1: end,
      curve,
      complaints: running.complaints?.() ?? [],
    };
  } finally {
    await running.stop();
  }
}

/** Sets up one database per key and system, lazily, and drops them all at the end. */
export class Databases {
  private readonly queues = new Map<string, QueueAdapter>();

  constructor(
    private readonly env: BenchEnv,
    private readonly caseName: string,
  ) {}

  async get(spec: SystemSpec, key: string | number, prepare?: (q: QueueAdapter) => Promise<void>): Promise<QueueAdapter> {
    const id = `${spec.id}/${key}`;
    let q = this.queues.get(id);
    if (!q) {
      const url = await this.env.createDatabase(`b_${this.caseName}_${key}_${spec.id}`);
      q = spec.make(url);
      await q.setup();
      if (prepare) await prepare(q);
      this.queues.set(id, q);
    }
    return q;
  }

  async closeAll(): Promise<void> {
    for (const q of this.queues.values()) {
      await q.close().catch(() => {});
      await this.env.dropDatabase(q.url).catch(() => {});
    }
    this.queues.clear();
  }
}

export function selected(opts: CaseOptions, ids: string[]): SystemSpec[] {
  return ids.map((id) => opts.systems.find((s) => s.id === id)).filter((s): s is SystemSpec => s !== undefined && (opts.only === null || opts.only.has(s.id)));
}
