/**
 * The one API between the drone and every UI: the Electron renderer (over IPC) and a browser (over a
 * WebSocket) speak exactly this. Arguments are zod schemas, checked by the dispatcher on the
 * receiving side; results and events are types. No node:* imports, so the renderer can import it.
 */
import { z } from 'zod';
import type {
  ConfigCheck,
  ConfigView,
  DebugSession,
  FailedTask,
  FailureGroup,
  GlobalTask,
  LogLine,
  QueueOverview,
  RequestFailure,
  Snapshot,
  TaskLookup,
  TaskRow,
  Trace,
} from './types.js';

// The renderer imports nothing from core but this file: every type it shows, and the pure helpers it shares.
export type * from './types.js';
export { parseJson, type JsonProblem } from '../util/json.js';
export { formatDuration } from '../util/duration.js';

const MAX_TYPE = 200;
const taskType = z.string().min(1).max(MAX_TYPE);
const taskId = z.string().regex(/^[0-9]{1,19}$/, 'a task id (digits)');
const noArgs = z.strictObject({});

const taskIds = z.array(taskId).min(1).max(10_000);
/** A cause of failure: FailureGroup.group. */
const errorGroup = z.string().regex(/^[a-z0-9-]{1,40}$/, 'a failure group (FailureGroup.group)');
/** Failed since (ms since epoch). */
const since = z.number().int().min(0).max(8.64e15);

/** Which tasks a bulk action on failed tasks applies to: given ids, or all of the global queue (optionally of one type, cause, or since a time). */
const failedSelection = z.union([
  z.strictObject({ ids: taskIds }),
  z.strictObject({ all: z.literal(true), type: taskType.optional(), group: errorGroup.optional(), since: since.optional() }),
]);

const stepId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const taskState = z.enum(['queued', 'running', 'done', 'failed']);

/**
 * The data of one tasks.enqueue call, all copies together (as JSON): each copy is its own row and
 * text in the drone, and 2,000 copies of 1 MiB took a drone's whole heap.
 */
export const MAX_ENQUEUE_BYTES = 32 * 1024 * 1024;

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** UTF-8 length of a value's JSON, or null when it has none (the enqueue itself then says why). */
function jsonBytes(value: unknown): number | null {
  let s: string | undefined;
  try {
    s = JSON.stringify(value === undefined ? null : value);
  } catch {
    return null;
  }
  return s === undefined ? null : new TextEncoder().encode(s).length;
}

function method<R>() {
  return <A extends z.ZodType>(args: A) => ({ args, result: undefined as unknown as R });
}

export const methods = {
  'drone.snapshot': method<Snapshot>()(noArgs),
  'drone.pause': method<void>()(noArgs),
  'drone.resume': method<void>()(noArgs),
  /** Stop claiming; finish what is buffered. */
  'drone.drain': method<void>()(noArgs),
  'workers.restart': method<void>()(z.strictObject({ id: z.string().min(1).max(300) })),
  'workers.stop': method<void>()(z.strictObject({ id: z.string().min(1).max(300) })),
  'workers.start': method<void>()(z.strictObject({ id: z.string().min(1).max(300) })),
  'logs.recent': method<LogLine[]>()(
    z.strictObject({
      afterSeq: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(100_000).optional(),
    }),
  ),
  'tasks.enqueue': method<{ ids: string[] }>()(
    z
      .strictObject({
        type: taskType,
        data: z.unknown().optional(),
        count: z.number().int().min(1).max(100_000).default(1),
        postback: taskType.nullable().optional(),
        priority: z
          .number()
          .int()
          .min(-(2 ** 31))
          .max(2 ** 31 - 1)
          .optional(),
        maxAttempts: z.number().int().min(1).max(1000).optional(),
      })
      .superRefine((a, ctx) => {
        const each = jsonBytes(a.data);
        if (each !== null && each * a.count > MAX_ENQUEUE_BYTES) {
          ctx.addIssue({
            code: 'custom',
            path: ['count'],
            message: `${a.count} copies of data of ${each} bytes (as JSON) make ${mib(each * a.count)}; one call enqueues at most ${mib(MAX_ENQUEUE_BYTES)} of data: lower count or make data smaller`,
          });
        }
      }),
  ),
  /** Enqueue with a unique postback and wait for the answer ("send and wait"); a task that used up its attempts answers with `failure`. */
  'tasks.request': method<{ id: string; result: unknown; ms: number; failure: RequestFailure | null }>()(
    z.strictObject({
      type: taskType,
      data: z.unknown().optional(),
      timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    }),
  ),
  /** The whole global queue: every type with its counts, rates and who serves it, and every registered drone. */
  'queue.overview': method<QueueOverview>()(noArgs),
  /** Exact counts of one type (the overview's stop at QueueOverview.cap). */
  'queue.count': method<{ available: number; scheduled: number; claimed: number; failed: number }>()(z.strictObject({ type: taskType })),
  /** Failed tasks of every type grouped by cause, most frequent first. */
  'failed.groups': method<FailureGroup[]>()(z.strictObject({ type: taskType.optional(), since: since.optional() })),
  'failed.list': method<FailedTask[]>()(
    z.strictObject({
      type: taskType.optional(),
      group: errorGroup.optional(),
      since: since.optional(),
      afterId: taskId.optional(),
      limit: z.number().int().min(1).max(1000).default(100),
    }),
  ),
  'failed.retry': method<{ count: number }>()(failedSelection),
  'failed.delete': method<{ count: number }>()(failedSelection),
  /** Where a task is: on the global queue, in this drone's traces, and the postback chain around it. */
  'tasks.lookup': method<TaskLookup>()(z.strictObject({ id: taskId })),
  /** A page of tasks on the global queue: of a type in a state, or claimed (by a drone). `after`: the previous page's `next`. */
  'tasks.browse': method<{ tasks: GlobalTask[]; next: string | null }>()(
    z.union([
      z.strictObject({
        state: z.enum(['available', 'scheduled', 'failed']),
        type: taskType,
        after: z.string().max(300).optional(),
        limit: z.number().int().min(1).max(500).default(50),
      }),
      z.strictObject({
        state: z.literal('claimed'),
        type: taskType.optional(),
        claimedBy: z.string().min(1).max(300).optional(),
        after: z.string().max(300).optional(),
        limit: z.number().int().min(1).max(500).default(50),
      }),
    ]),
  ),
  /** Deletes waiting tasks (a claimed task is running on a drone and is not cancelled). */
  'tasks.cancel': method<{ count: number }>()(z.strictObject({ ids: taskIds })),
  /** A task waiting for a later run_at (a delay, a retry's backoff) runs now. */
  'tasks.runNow': method<{ count: number }>()(z.strictObject({ ids: taskIds })),
  'config.get': method<ConfigView>()(noArgs),
  /** The config's JSON Schema (draft 2020-12, as `swarmage schema` prints it): the editor's completion and docs. */
  'config.schema': method<unknown>()(noArgs),
  'config.check': method<ConfigCheck>()(z.strictObject({ text: z.string().max(1024 * 1024) })),
  /** Validates, then restarts the drone on the new config (gracefully: no task lost); optionally saves it to the file first. */
  'config.apply': method<ConfigCheck>()(z.strictObject({ text: z.string().max(1024 * 1024), save: z.boolean().default(false) })),
  /**
   * The task explorer: this drone's tasks (its local queue, history included), newest first, paged by
   * keyset (`before`: the stepId of the last row seen, or `next`). `where` is a condition on the
   * task's data with an SQLite JSON path such as "$.user.id". One call examines a bounded part of
   * the history (a few thousand steps): fewer than `limit` rows with a `next` that is not null means
   * the search goes on from there. A row's error is a preview (the trace has the recorded error).
   */
  'tasks.search': method<{ rows: TaskRow[]; next: number | null }>()(
    z.strictObject({
      type: taskType.optional(),
      state: taskState.optional(),
      /** Only tasks with a step on this edge of the pipeline graph (its id). */
      edge: z.string().min(1).max(500).optional(),
      from: z.number().int().min(0).optional(),
      to: z.number().int().min(0).optional(),
      where: z
        .strictObject({
          path: z
            .string()
            .regex(/^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]{1,9}\])*$/, 'a JSON path such as $.user.id or $.items[0]')
            .max(500),
          op: z.enum(['=', '!=', '<', '<=', '>', '>=', 'exists', 'contains']),
          value: z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]).optional(),
        })
        .optional(),
      before: stepId.optional(),
      limit: z.number().int().min(1).max(500).default(50),
    }),
  ),
  /** Every step of one task in this drone, with inputs, outputs, errors, timings and logs; null when not (or no longer) kept. */
  'tasks.trace': method<Trace | null>()(z.strictObject({ traceId: taskId })),
  /**
   * Enqueues a step again as a new global task of the step's type, linked to the original: with its
   * recorded input, or with `data` (edited). Replaying step N of a chain starts from the recorded
   * output of step N−1.
   */
  'tasks.replay': method<{ id: string }>()(z.strictObject({ stepId, data: z.unknown().optional() })),
  /** A type's payload schema (the worker module's exported `schema`), or null. */
  'types.schema': method<unknown>()(z.strictObject({ type: taskType })),
  /** "Debug this type": the next task of it goes to a dedicated instance with the Node inspector on loopback. */
  'workers.debug': method<DebugSession>()(z.strictObject({ type: taskType })),
  /** Ends a debug session: its instance stops (a task it holds goes back to the others). */
  'workers.undebug': method<void>()(z.strictObject({ type: taskType })),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ArgsIn<M extends MethodName> = z.input<Methods[M]['args']>;
export type ArgsOut<M extends MethodName> = z.output<Methods[M]['args']>;
export type Result<M extends MethodName> = Methods[M]['result'];

/** Pushed to every connected UI. */
export interface Events {
  /** The whole snapshot, throttled (a few per second at most). */
  snapshot: Snapshot;
  /** New log lines, batched. */
  logs: LogLine[];
}
export type EventName = keyof Events;

export type Handlers = { [M in MethodName]: (args: ArgsOut<M>) => Promise<Result<M>> };

export interface ApiError {
  /** busy: the headless host already runs as many calls of this connection as it allows; call again after their answers. */
  code: 'unknown_method' | 'invalid_args' | 'failed' | 'unauthorized' | 'busy';
  message: string;
  /** For invalid_args: each problem with its field path. */
  issues?: Array<{ path: string; message: string }>;
}

/** Wire format, the same over IPC and WebSocket. */
export type Request = { id: number; method: string; args?: unknown };
export type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ApiError };
export type EventMessage = { event: EventName; data: unknown };

export const METHOD_NAMES = Object.keys(methods) as MethodName[];

/**
 * What the Electron preload exposes to the renderer as `window.swarmage`, and nothing more. The
 * browser build gets the same shape from a WebSocket (renderer/src/api).
 */
export interface Bridge {
  invoke(method: MethodName, args?: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiError }>;
  subscribe(listener: (msg: EventMessage) => void): () => void;
}
