/**
 * The one API between the drone and every UI: the Electron renderer (over IPC) and a browser (over a
 * WebSocket) speak exactly this. Arguments are zod schemas, checked by the dispatcher on the
 * receiving side; results and events are types. No node:* imports, so the renderer can import it.
 */
import { z } from 'zod';
import type { DroneSnapshot } from '../drone/drone.js';
import type { LogLine, LogLevel } from '../log/logger.js';
import type { FailedTask } from '../queue/types.js';

const MAX_TYPE = 200;
const taskType = z.string().min(1).max(MAX_TYPE);
const taskId = z.string().regex(/^[0-9]{1,19}$/, 'a task id (digits)');
const noArgs = z.strictObject({});

/** Which tasks a bulk action on failed tasks applies to: given ids, or all (optionally of one type). */
const failedSelection = z.union([
  z.strictObject({ ids: z.array(taskId).min(1).max(10_000) }),
  z.strictObject({ all: z.literal(true), type: taskType.optional() }),
]);

export interface AppInfo {
  /** The drone service's own state: a drone may be starting, or failed to start (error says why). */
  state: 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'error';
  error: string | null;
  configFile: string | null;
  /** When the database is not reachable: the next retry. */
  retryAt: number | null;
  version: string;
}

export interface Snapshot {
  app: AppInfo;
  drone: DroneSnapshot | null;
}

export interface ConfigIssue {
  /** Field path such as workers.factorial.timeoutMs, or "" for the whole file. */
  path: string;
  message: string;
  /** 1-based place in the text, when it can be found. */
  line: number | null;
  column: number | null;
}

export interface ConfigView {
  file: string | null;
  text: string;
  jsonSchema: unknown;
}

export interface ConfigCheck {
  ok: boolean;
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
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
  'logs.recent': method<LogLine[]>()(z.strictObject({
    afterSeq: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(100_000).optional(),
  })),
  'tasks.enqueue': method<{ ids: string[] }>()(z.strictObject({
    type: taskType,
    data: z.unknown().optional(),
    count: z.number().int().min(1).max(100_000).default(1),
    postback: taskType.nullable().optional(),
    priority: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1).optional(),
    maxAttempts: z.number().int().min(1).max(1000).optional(),
  })),
  /** Enqueue with a unique postback and wait for the answer ("send and wait"). */
  'tasks.request': method<{ id: string; result: unknown; ms: number }>()(z.strictObject({
    type: taskType,
    data: z.unknown().optional(),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  })),
  'failed.list': method<FailedTask[]>()(z.strictObject({
    type: taskType.optional(),
    afterId: taskId.optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })),
  'failed.retry': method<{ count: number }>()(failedSelection),
  'failed.delete': method<{ count: number }>()(failedSelection),
  'config.get': method<ConfigView>()(noArgs),
  'config.check': method<ConfigCheck>()(z.strictObject({ text: z.string().max(1024 * 1024) })),
  /** Validates, then restarts the drone on the new config (gracefully: no task lost); optionally saves it to the file first. */
  'config.apply': method<ConfigCheck>()(z.strictObject({ text: z.string().max(1024 * 1024), save: z.boolean().default(false) })),
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
  code: 'unknown_method' | 'invalid_args' | 'failed' | 'unauthorized';
  message: string;
  /** For invalid_args: each problem with its field path. */
  issues?: Array<{ path: string; message: string }>;
}

/** Wire format, the same over IPC and WebSocket. */
export type Request = { id: number; method: string; args?: unknown };
export type Response = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ApiError };
export type EventMessage = { event: EventName; data: unknown };

export const METHOD_NAMES = Object.keys(methods) as MethodName[];
export const LOG_LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];
export type { LogLine, LogLevel, FailedTask, DroneSnapshot };

/**
 * What the Electron preload exposes to the renderer as `window.swarmage`, and nothing more. The
 * browser build gets the same shape from a WebSocket (renderer/src/api).
 */
export interface Bridge {
  invoke(method: MethodName, args?: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiError }>;
  subscribe(listener: (msg: EventMessage) => void): () => void;
}
