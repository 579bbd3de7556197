/**
 * What a worker module sees: the types its author writes against (exported by the package), and
 * what the worker process (child.ts) builds and calls — so they cannot drift apart.
 *
 *     import type { WorkerModule } from 'swarmage';
 *     const resize: WorkerModule<{ url: string }> = { async work(task, ctx) { … } };
 *     export default resize;
 */

/** One task as work() receives it: a task claimed from the global queue, or one step of a `local:` chain. */
export interface Task<Data = unknown> {
  /** The global task's id (a chain's steps share it). */
  id: string;
  /** This step's id in the drone's local queue (its trace in the UI). */
  stepId: number;
  /** The task type this worker serves. */
  type: string;
  /** The task's data, parsed from its JSON. */
  data: Data;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Where the result goes when the chain ends, or null. */
  postback: string | null;
  /** The step this one was chained from, or null for a task claimed from the global queue. */
  prev: number | null;
}

/** Log lines go to the drone's log (and the UI), tagged with the task; the first ones are kept with its trace. */
export interface WorkerLog {
  (...args: unknown[]): void;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface WorkerContext {
  /** The worker instance's id, e.g. "resize#2". */
  instance: string;
  log: WorkerLog;
}

/** A result that hands its data on to this drone's worker for NAME, as the next step of the chain. */
export interface ChainTo<Data = unknown> {
  type: `local:${string}`;
  data: Data;
}

/**
 * A worker module's default export: an object like this, or a class whose instances are (it is
 * constructed with the type's `config`). work() returns the result (any JSON value, or a ChainTo)
 * or throws to fail the attempt. The module may also export `schema`, the JSON Schema of its task
 * data (the UI builds its Enqueue form from it).
 */
export interface WorkerModule<Data = unknown, Config = unknown> {
  /** Once per worker process, with the type's `config`, before the first task. */
  init?(config: Config): unknown;
  work(task: Task<Data>, ctx: WorkerContext): unknown;
  /** When the process stops (after its running tasks finished). */
  close?(): unknown;
}
