/**
 * Messages between the drone and a worker process. Tasks travel in batches over the IPC channel and
 * data stays JSON text end to end, so neither side parses what it only forwards. Results come back
 * on a pipe of their own (RESULTS_FD), one JSON line each, written synchronously: once a task's
 * result is written the next task may start, and should that one crash the process, every result
 * before it is already in the pipe. (The IPC channel would need a round trip through the child's
 * event loop per task to know the same.)
 *
 * With batchResults a worker writes its results once per event-loop turn instead, and its exit
 * handler writes what is left followed by EXIT_LINE. A drone that sees a worker die without that
 * line cannot tell which of its unreported tasks were finished: it sends them again as suspects,
 * which the worker runs one at a time with each result written at once, as without batchResults.
 */

/** The results pipe: this fd in the worker process, this index of the drone's stdio for it. */
export const RESULTS_FD = 4;

export interface ChildTask {
  /** Local step id. */
  s: number;
  /** Global task id (the chain's root). */
  id: string;
  type: string;
  /** data as JSON text */
  d: string;
  attempt: number;
  maxAttempts: number;
  postback: string | null;
  /** Step this one was chained from, or null for a task claimed from the global queue. */
  prev: number | null;
  /** A suspect (see above): run alone, its result written at once. */
  alone?: true;
}

/** giveBack: send back every task not started yet (the drone hands them to an idle sibling). */
export type ToChild =
  { t: 'init'; modulePath: string; config: unknown; type: string; instance: string } | { t: 'run'; tasks: ChildTask[] } | { t: 'giveBack' } | { t: 'stop' };

/** `at`: when the step began running in the worker (ms since epoch), for its trace's waterfall. */
export type ChildResult = { at?: number } & (
  | { s: number; ok: true; /** set when the result chains to a local type */ next?: string; json: string }
  /** final: the worker's result cannot be carried (too large, not JSON): another attempt cannot succeed. */
  | { s: number; ok: false; error: string; stack: string | null; final?: boolean }
);

export type FromChild =
  /** schema: the module's exported JSON Schema for its task data, when it has one. */
  | { t: 'ready'; schema?: unknown }
  | { t: 'init-error'; error: string }
  /** The step ids of the tasks it had not started, taken out of its queue (an answer to giveBack). */
  | { t: 'givenBack'; s: number[] }
  /** s: the step that wrote the line, while the step may keep more lines (see MAX_STEP_LOG_LINES). */
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; task?: string; s?: number };

/** Log lines kept with one step's history (the first ones), and how much of each. */
export const MAX_STEP_LOG_LINES = 200;
export const MAX_STEP_LOG_CHARS = 4096;

/**
 * The longest line the drone reads on the results pipe: a result's JSON (at most 1 MiB) inside a
 * JSON string can double with escaping, plus an error and stack already cut (see util/truncate.ts).
 */
export const MAX_RESULT_LINE_CHARS = 4 * 1024 * 1024;

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** The child runs the user's code, which can call process.send too: check before trusting. */
export function isFromChild(m: unknown): m is FromChild {
  if (typeof m !== 'object' || m === null) return false;
  const msg = m as Record<string, unknown>;
  switch (msg.t) {
    case 'ready':
      return true;
    case 'init-error':
      return typeof msg.error === 'string';
    case 'givenBack':
      return Array.isArray(msg.s) && msg.s.every((x) => typeof x === 'number');
    case 'log':
      return typeof msg.msg === 'string' && LEVELS.has(msg.level as string) && (msg.s === undefined || typeof msg.s === 'number');
    default:
      return false;
  }
}

/** The last line a worker writes on the results pipe when its exit handler runs: nothing is left unreported. */
export const EXIT_LINE = '{"exit":true}';

/** One line of the results pipe, or null when it is not a result (user code can write to any fd). */
export function parseResultLine(line: string): ChildResult | null {
  try {
    const r: unknown = JSON.parse(line);
    return isChildResult(r) ? r : null;
  } catch {
    return null;
  }
}

function isChildResult(r: unknown): r is ChildResult {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Record<string, unknown>;
  if (typeof x.s !== 'number' || (x.at !== undefined && typeof x.at !== 'number')) return false;
  return x.ok === true
    ? typeof x.json === 'string' && (x.next === undefined || typeof x.next === 'string')
    : typeof x.error === 'string' && (x.final === undefined || typeof x.final === 'boolean');
}
