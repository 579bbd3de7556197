import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type pg from 'pg';

/**
 * The fault-injection suite's knobs, all from the environment:
 *   FAULT_ROUNDS  rounds per scenario (default 2, the size `npm test` runs; `npm run test:faults` uses 10)
 *   FAULT_SCALE   "small" (default) or "full": task counts and durations of the big scenarios
 *   FAULT_SEED    replays a run: every random choice (fault points, counts, delays) comes from it
 */
export const SCALE: 'small' | 'full' = process.env.FAULT_SCALE === 'full' ? 'full' : 'small';
export const ROUNDS = Math.max(1, Number(process.env.FAULT_ROUNDS) || 2);
/** Per scale, so that `npm test` (small) never overwrites the figures of a full run. */
export const RESULTS_ROOT = path.resolve(import.meta.dirname, '../../../test-results/faults');
export const RESULTS_DIR = path.join(RESULTS_ROOT, SCALE);

/** small or full, by FAULT_SCALE. */
export const scaled = <T>(small: T, full: T): T => (SCALE === 'full' ? full : small);

export type Rng = (() => number) & {
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
};

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, {
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  });
}

/** The seed of this run: FAULT_SEED, or a fresh one (printed so that a failure can be replayed). */
export function runSeed(scenario: string): number {
  const given = process.env.FAULT_SEED;
  const seed = given ? Number(given) >>> 0 : crypto.randomBytes(4).readUInt32BE(0);
  console.log(
    `# fault scenario "${scenario}": FAULT_SEED=${seed} FAULT_ROUNDS=${ROUNDS} FAULT_SCALE=${SCALE} (replay: FAULT_SEED=${seed} FAULT_ROUNDS=${ROUNDS} FAULT_SCALE=${SCALE} node --test dist/test/faults/*.test.js)`,
  );
  return seed;
}

/** A generator per round of a scenario, so that replaying one round does not depend on the others. */
export function roundRng(seed: number, scenario: string, round: number): Rng {
  const h = crypto.createHash('sha256').update(`${seed}:${scenario}:${round}`).digest();
  return rng(h.readUInt32BE(0));
}

/** Outcome of the accounting of one round. */
export interface Accounting {
  enqueued: number;
  completedOnce: number;
  /** Ended "failed" with their own error after max_attempts, as the scenario meant them to. */
  failedAsExpected: number;
  /** Extra runs of tasks held by a drone when it was killed (at-least-once). */
  duplicates: number;
  lost: string[];
  stuck: string[];
  /** Answered more than once, failed without being meant to, or failed with another error. */
  wrong: string[];
  /** Ran more than once without a crash of the drone that ran it. */
  unexplainedDuplicates: string[];
}

export interface AccountOptions {
  /** The postback type every task of the round carries. */
  postback: string;
  /** Lines "taskId dronePid workerPid" of every finished run (test/fixtures/workers/ledger.js). */
  runsFile?: string;
  /** Drone processes that were killed: their runs may be repeated. */
  killedPids?: Set<number>;
  /** Tasks meant to fail, with the error they must end with. */
  expectFailed?: Map<string, RegExp>;
}

/**
 * Checks every task of a round: answered exactly once (its postback), or failed with its own error
 * after max_attempts; nothing missing, nothing left claimed or waiting; a task that ran twice did so
 * only because the drone running it was killed.
 */
export async function account(sql: pg.Client, schema: string, ids: string[], opts: AccountOptions): Promise<Accounting> {
  const answers = new Map<string, number>();
  const { rows: posted } = await sql.query(`SELECT data->>'id' AS id, count(*)::int AS n FROM "${schema}".tasks WHERE type = $1 GROUP BY 1`, [opts.postback]);
  for (const r of posted) answers.set(r.id, r.n);
  const { rows: left } = await sql.query(`SELECT id, state, attempts, max_attempts, last_error, claimed_by FROM "${schema}".tasks WHERE type <> $1`, [
    opts.postback,
  ]);
  const rows = new Map(left.map((r) => [r.id as string, r]));
  const out: Accounting = {
    enqueued: ids.length,
    completedOnce: 0,
    failedAsExpected: 0,
    duplicates: 0,
    lost: [],
    stuck: [],
    wrong: [],
    unexplainedDuplicates: [],
  };
  for (const id of ids) {
    const n = answers.get(id) ?? 0;
    const row = rows.get(id);
    const expected = opts.expectFailed?.get(id);
    if (n > 1) out.wrong.push(`${id}: answered ${n} times`);
    else if (n === 1 && !row && !expected) out.completedOnce++;
    else if (n === 1 && expected) out.wrong.push(`${id}: meant to fail, but answered`);
    else if (row && row.state === 'failed') {
      if (expected && row.attempts === row.max_attempts && expected.test(row.last_error ?? '')) out.failedAsExpected++;
      else
        out.wrong.push(
          `${id}: failed after ${row.attempts}/${row.max_attempts} attempts with ${JSON.stringify(row.last_error)}${expected ? ` (expected ${expected})` : ' (not meant to fail)'}`,
        );
    } else if (row)
      out.stuck.push(
        `${id}: ${row.state}${row.claimed_by ? ` by ${row.claimed_by}` : ''} (attempts ${row.attempts}/${row.max_attempts}, last error ${JSON.stringify(row.last_error)})`,
      );
    else out.lost.push(id);
  }
  if (opts.runsFile) {
    const runs = new Map<string, number[]>();
    const text = fs.existsSync(opts.runsFile) ? fs.readFileSync(opts.runsFile, 'utf8') : '';
    for (const line of text.split('\n')) {
      if (!line) continue;
      const [id, drone] = line.split(' ');
      const list = runs.get(id) ?? [];
      list.push(Number(drone));
      runs.set(id, list);
    }
    for (const [id, drones] of runs) {
      if (drones.length < 2) continue;
      out.duplicates += drones.length - 1;
      // At most one run may come from a drone that lived on; the others died with their drone.
      const survivors = drones.filter((p) => !opts.killedPids?.has(p)).length;
      if (survivors > 1) out.unexplainedDuplicates.push(`${id}: ran ${drones.length} times, ${survivors} of them in drones that were not killed`);
    }
  }
  return out;
}

/** Tasks of the round not yet settled (answered or failed for good). */
export async function unsettled(sql: pg.Client, schema: string, postback: string): Promise<number> {
  const { rows } = await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE type <> $1 AND state <> 'failed'`, [postback]);
  return rows[0].n;
}

export function summary(a: Accounting): string {
  return (
    `${a.enqueued} enqueued: ${a.completedOnce} completed once, ${a.failedAsExpected} failed as meant, ${a.duplicates} duplicate run(s), ` +
    `${a.lost.length} lost, ${a.stuck.length} stuck, ${a.wrong.length} wrong, ${a.unexplainedDuplicates.length} unexplained duplicate(s)`
  );
}

/** The figures of one scenario, written to test-results/faults/<scenario>.json for docs/reliability.md. */
export class Figures {
  rounds = 0;
  tasksEnqueued = 0;
  completedOnce = 0;
  failedAsExpected = 0;
  duplicates = 0;
  lost = 0;
  stuck = 0;
  wrong = 0;
  kills = 0;
  recoveryMs: number[] = [];
  rescueMs: number[] = [];
  badInputsTried = 0;
  badInputsRejected = 0;
  notes: string[] = [];
  extra: Record<string, unknown> = {};
  private readonly started = Date.now();

  constructor(
    readonly scenario: string,
    readonly title: string,
    readonly seed: number,
  ) {}

  add(a: Accounting): void {
    this.tasksEnqueued += a.enqueued;
    this.completedOnce += a.completedOnce;
    this.failedAsExpected += a.failedAsExpected;
    this.duplicates += a.duplicates;
    this.lost += a.lost.length;
    this.stuck += a.stuck.length;
    this.wrong += a.wrong.length + a.unexplainedDuplicates.length;
  }

  save(): void {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const data = {
      scenario: this.scenario,
      title: this.title,
      seed: this.seed,
      scale: SCALE,
      roundsAsked: ROUNDS,
      rounds: this.rounds,
      tasksEnqueued: this.tasksEnqueued,
      completedOnce: this.completedOnce,
      failedAsExpected: this.failedAsExpected,
      duplicates: this.duplicates,
      lost: this.lost,
      stuck: this.stuck,
      wrong: this.wrong,
      kills: this.kills,
      recoveryMs: this.recoveryMs,
      rescueMs: this.rescueMs,
      badInputsTried: this.badInputsTried,
      badInputsRejected: this.badInputsRejected,
      notes: this.notes,
      extra: this.extra,
      durationMs: Date.now() - this.started,
      finishedAt: new Date().toISOString(),
      machine: { arch: os.arch(), cpus: os.cpus().length, node: process.version },
    };
    fs.writeFileSync(path.join(RESULTS_DIR, `${this.scenario}.json`), JSON.stringify(data, null, 2) + '\n');
  }
}

/** VmRSS of a process in MB, from /proc (Linux), or null when it is gone. */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
