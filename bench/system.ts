/**
 * What every system under test offers the cases: a queue in its own database that can be filled in
 * bulk, emptied, counted, and a consumer that can be started and stopped. The consumer's handler
 * is a no-op that only counts (see tally.ts), or notes when it was called (latency).
 */
import type pg from 'pg';
import type { Curve } from './tally.js';

export type Family = 'swarmage' | 'graphile-worker' | 'pg-boss' | 'raw-sql';

/** The job type / task identifier / queue name every system uses. */
export const JOB = 'noop';

/** Rows per bulk statement when filling a queue. */
export const ENQUEUE_CHUNK = 10_000;

export interface StartOptions {
  /** Scratch directory of this sample. */
  dir: string;
  /** count: the no-op that counts; latency: note when each job {i} is handled. */
  mode: 'count' | 'latency';
  /** Swarmage only: serve the operator UI (port 0: any free port). */
  ui?: boolean;
}

export interface Running {
  /** When start() was called. */
  startedAt: number;
  /** Resolves once the consumer is up and waiting for work. */
  ready: Promise<void>;
  /** Jobs handled so far, merged over every worker. */
  curve(): Curve;
  /** How many jobs were handled so far: cheap, for polling (curve() merges and sorts every checkpoint). */
  done(): number;
  /** latency mode: job i → when its handler was called. */
  seen(): Map<number, number>;
  /** The consumer's own process, when it has one (our drone). */
  pid?: number;
  /** Warnings and errors the consumer logged (our drone), to keep with the sample. */
  complaints?: () => string[];
  /** Set when the consumer died on its own (our drone's process exited): what it said. */
  problem?: () => string | null;
  /** The UI's URL, when started with ui. */
  uiUrl?: () => string | null;
  stop(): Promise<void>;
}

export interface QueueAdapter {
  /** The case's database. */
  readonly url: string;
  /** Creates the system's schema in the (fresh) database. */
  setup(): Promise<void>;
  /**
   * Adds n jobs {n: i} with the system's bulk statement, ENQUEUE_CHUNK per statement; on `db` when
   * given (the caller's transaction), else in autocommit statements.
   */
  enqueue(n: number, db?: pg.ClientBase): Promise<void>;
  /** Adds job {i} with one statement and returns the time right after it committed. */
  enqueueOne(i: number): Promise<number>;
  /** Jobs not finished yet (queued, locked or running). */
  remaining(): Promise<number>;
  /** Removes every job (between samples). */
  reset(): Promise<void>;
  /** Tables to VACUUM ANALYZE before a sample. */
  readonly tables: string[];
  start(opts: StartOptions): Promise<Running>;
  close(): Promise<void>;
}

export interface SystemSpec {
  /** Short, stable id: swarmage-tuned-4w, graphile-worker-defaults, … */
  id: string;
  family: Family;
  /** For tables: "swarmage tuned ×4". */
  label: string;
  ours: boolean;
  /** Every setting that differs from the system's defaults (reported with the results). */
  settings: Record<string, unknown>;
  /** The longest a drain sample may run, seconds (pg-boss at its defaults runs one job per 2 s). */
  capSeconds?: number;
  make(url: string): QueueAdapter;
}
