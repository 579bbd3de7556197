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
  FailureNotice,
  GlobalTask,
  LogLine,
  ProfileInfo,
  ProfilesView,
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
export { formatDuration, parseDuration } from '../util/duration.js';
export { MAX_PAYLOAD_BYTES } from '../queue/limits.js';
export { describeWakeups, wakeupToken } from '../util/wakeups.js';
export { describeFlow } from '../util/flowText.js';

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

/** ProfileInfo.id. */
const profileId = z.string().regex(/^[a-z0-9-]{1,40}$/, 'a profile id (ProfileInfo.id)');
const byProfile = z.strictObject({ id: profileId });

const stepId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const taskState = z.enum(['queued', 'running', 'done', 'failed']);

/**
 * The data of one tasks.enqueue call, all copies together (as JSON): each copy is its own row and
 * text in the drone, and 2,000 copies of 1 MiB took a drone's whole heap.
 */
export const MAX_ENQUEUE_BYTES = 32 * 1024 * 1024;

/** How far ahead a task may be scheduled: further is more likely a unit mistake (ms for s) than a plan. */
export const MAX_DELAY_MS = 366 * 86_400_000;
/** Tasks one tasks.enqueueMany call takes (the renderer sends a big import in batches of fewer). */
export const MAX_ENQUEUE_MANY = 10_000;
/** Tasks one tasks.requestMany call waits for. */
export const MAX_REQUEST_MANY = 1000;

const priority = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1);
const maxAttempts = z.number().int().min(1).max(1000);
/** When a task may run: at `runAt` (ms since epoch; in the past means now) or `delayMs` from now. */
const schedule = {
  runAt: z.number().int().min(0).max(8.64e15).optional(),
  delayMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
};

/** Both given, or a runAt beyond MAX_DELAY_MS from now: an issue on the field. */
function checkSchedule(a: { runAt?: number; delayMs?: number }, ctx: z.RefinementCtx, path: PropertyKey[] = []): void {
  if (a.runAt !== undefined && a.delayMs !== undefined) {
    ctx.addIssue({ code: 'custom', path: [...path, 'delayMs'], message: 'give runAt or delayMs, not both' });
  } else if (a.runAt !== undefined && a.runAt > Date.now() + MAX_DELAY_MS) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'runAt'],
      message: `${new Date(a.runAt).toISOString()} is more than 366 days ahead; runAt is ms since epoch (not seconds, not a delay)`,
    });
  }
}

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

/** The data of a list of tasks together over MAX_ENQUEUE_BYTES: an issue on `tasks`. */
function tooManyBytes(tasks: Array<{ data?: unknown }>, ctx: z.RefinementCtx): void {
  const bytes = tasks.reduce((sum, t) => sum + (jsonBytes(t.data) ?? 0), 0);
  if (bytes > MAX_ENQUEUE_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['tasks'],
      message: `${tasks.length} tasks with ${mib(bytes)} of data (as JSON); one call takes at most ${mib(MAX_ENQUEUE_BYTES)}: send fewer tasks per call`,
    });
  }
}

function method<R>() {
  return <A extends z.ZodType>(args: A) => ({ args, result: undefined as unknown as R });
}

export const methods = {
  /** The drones this app operates. Methods below that are not profiles.* go to one of them: the call's `profile`. */
  'profiles.list': method<ProfilesView>()(noArgs),
  /** Adds a config file to run here (started unless `start` is false), or a drone running elsewhere to attach to. */
  'profiles.add': method<ProfileInfo>()(
    z.union([
      z.strictObject({ configFile: z.string().min(1).max(4096), start: z.boolean().default(true) }),
      z.strictObject({
        attach: z.strictObject({
          url: z
            .string()
            .max(2000)
            .regex(/^https?:\/\/[^\s]+$/, 'the drone UI address, such as http://127.0.0.1:7420/'),
          token: z
            .string()
            .min(16)
            .max(500)
            .regex(/^[\x21-\x7e]+$/, 'the drone UI token (printable, no spaces)'),
          name: z.string().min(1).max(100).optional(),
        }),
      }),
    ]),
  ),
  /** Shows the host's file picker and adds the chosen config; null when cancelled. Only where ProfilesView.canPick. */
  'profiles.pick': method<ProfileInfo | null>()(noArgs),
  /** Writes the demo (as `swarmage init` does) into the app's folder, adds it and starts it. */
  'profiles.demo': method<ProfileInfo>()(noArgs),
  /** Stops the drone gracefully (or disconnects) and forgets the profile; its files stay. */
  'profiles.remove': method<void>()(byProfile),
  'profiles.start': method<void>()(byProfile),
  /** Graceful: running tasks finish, the rest go back to the global queue. */
  'profiles.stop': method<void>()(byProfile),
  'profiles.restart': method<void>()(byProfile),
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
  /** `runAt` in the result: when the tasks may run (ms since epoch; the drone's clock). */
  'tasks.enqueue': method<{ ids: string[]; runAt: number }>()(
    z
      .strictObject({
        type: taskType,
        data: z.unknown().optional(),
        count: z.number().int().min(1).max(100_000).default(1),
        postback: taskType.nullable().optional(),
        priority: priority.optional(),
        maxAttempts: maxAttempts.optional(),
        ...schedule,
      })
      .superRefine((a, ctx) => {
        checkSchedule(a, ctx);
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
  /** Tasks of any types and options in one INSERT; `ids` in the order given. */
  'tasks.enqueueMany': method<{ ids: string[] }>()(
    z
      .strictObject({
        tasks: z
          .array(
            z.strictObject({
              type: taskType,
              data: z.unknown().optional(),
              postback: taskType.nullable().optional(),
              priority: priority.optional(),
              maxAttempts: maxAttempts.optional(),
              ...schedule,
            }),
          )
          .min(1)
          .max(MAX_ENQUEUE_MANY),
      })
      .superRefine((a, ctx) => {
        a.tasks.forEach((t, i) => checkSchedule(t, ctx, ['tasks', i]));
        tooManyBytes(a.tasks, ctx);
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
  /**
   * "Send and wait" for many: enqueues the tasks with one unique postback and waits until each has
   * answered, failed (used up its attempts) or the time is up. One outcome per task, in the order
   * given; a failed or timed-out task is an outcome, not an error of the call.
   */
  'tasks.requestMany': method<{
    outcomes: Array<{ id: string; state: 'answered' | 'failed' | 'timedOut'; result: unknown; ms: number; failure: RequestFailure | null }>;
  }>()(
    z
      .strictObject({
        tasks: z
          .array(z.strictObject({ type: taskType, data: z.unknown().optional(), priority: priority.optional(), maxAttempts: maxAttempts.optional() }))
          .min(1)
          .max(MAX_REQUEST_MANY),
        timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .superRefine((a, ctx) => tooManyBytes(a.tasks, ctx)),
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

export type ProfileMethod = Extract<MethodName, `profiles.${string}`>;
/** The methods one drone answers (all but profiles.*). */
export type DroneMethod = Exclude<MethodName, ProfileMethod>;
export const isProfileMethod = (m: MethodName): m is ProfileMethod => m.startsWith('profiles.');

/** Where the app asks the UI to go (a notification or a menu command of the desktop app). */
export interface NavigateTo {
  view: 'failures' | 'overview' | 'config' | 'enqueue' | 'add-profile';
  profile?: string;
  group?: string;
}

/** Pushed to every connected UI. Drone events (snapshot, logs, failure) carry the profile they come from. */
export interface Events {
  /** The whole snapshot, throttled (a few per second at most). */
  snapshot: Snapshot;
  /** New log lines, batched. */
  logs: LogLine[];
  /** The profile list changed (a profile added, started, failing…). */
  profiles: ProfilesView;
  /** A task failed with a cause not seen lately (rate-limited per cause). */
  failure: FailureNotice;
  navigate: NavigateTo;
}
export type EventName = keyof Events;
/** Every event name, for the receiving side's check (a Record, so that a new event cannot be left out). */
const EVENT_SET: Record<EventName, true> = { snapshot: true, logs: true, profiles: true, failure: true, navigate: true };
export const EVENT_NAMES = Object.keys(EVENT_SET) as EventName[];

export type Handlers = { [M in MethodName]: (args: ArgsOut<M>) => Promise<Result<M>> };
export type DroneHandlers = Pick<Handlers, DroneMethod>;
export type ProfileHandlers = Pick<Handlers, ProfileMethod>;

export interface ApiError {
  /** busy: the headless host already runs as many calls of this connection as it allows; call again after their answers. */
  code: 'unknown_method' | 'invalid_args' | 'failed' | 'unauthorized' | 'busy';
  message: string;
  /** For invalid_args: each problem with its field path. */
  issues?: Array<{ path: string; message: string }>;
}

/** Wire format, the same over IPC and WebSocket. `profile`: which drone a drone method goes to (default: the first). */
export type Request = { id: number; method: string; args?: unknown; profile?: string };
export type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ApiError };
export type EventMessage = { event: EventName; data: unknown; profile?: string };

export const METHOD_NAMES = Object.keys(methods) as MethodName[];

/**
 * What the Electron preload exposes to the renderer as `window.swarmage`, and nothing more. The
 * browser build gets the same shape from a WebSocket (renderer/src/api).
 */
export interface Bridge {
  invoke(method: MethodName, args?: unknown, profile?: string): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiError }>;
  subscribe(listener: (msg: EventMessage) => void): () => void;
  /** Desktop only: the path of a file dropped on the window (Electron's webUtils), or "" when it has none. */
  pathForFile?(file: File): string;
}
