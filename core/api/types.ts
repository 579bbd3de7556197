/**
 * Every type the UI sees: the snapshot, traces, the task explorer's rows, logs, failed tasks.
 * Plain data and no imports, so the renderer, the hosts and the engine all take them from here;
 * the engine's modules fill them in (core/drone/snapshot.ts, core/workers, core/log).
 */

/** paused: no claiming, no new work started; draining: no claiming, buffered work goes on. */
export type DroneState = 'starting' | 'running' | 'paused' | 'draining' | 'stopping' | 'stopped';

export interface TypeStats {
  type: string;
  instances: number;
  capacity: number;
  /** Steps of this type in the local queue: waiting plus handed to a worker. */
  buffered: number;
  running: number;
  done: number;
  failed: number;
  /** Steps finished per second, over the last 5 s. */
  rate: number;
  /** Steps finished in each of the last 60 seconds, oldest first. */
  history: number[];
}

export type InstanceState = 'starting' | 'idle' | 'busy' | 'crashed' | 'restarting' | 'stopped';

/** One worker process of the drone. */
export interface InstanceInfo {
  id: string;
  type: string;
  pid: number | null;
  state: InstanceState;
  currentTask: string | null;
  runningForMs: number | null;
  done: number;
  failed: number;
  restarts: number;
  lastExit: string | null;
  /** First 8 hex digits of the sha256 of the module file as it was when this process started. */
  codeVersion: string | null;
  /** A "debug this type" instance (Node inspector on loopback). */
  debug: boolean;
}

export interface DroneSnapshot {
  id: string;
  host: string;
  pid: number;
  state: DroneState;
  startedAt: number;
  database: { url: string; connected: boolean; lastError: string | null; retryAt: number | null };
  types: TypeStats[];
  workers: InstanceInfo[];
  outbox: number;
  /** The live pipeline graph's edges (the nodes are `types`, and "global" for the global queue). */
  edges: PipelineEdge[];
  /** Worker modules restart when their file changes (dev mode). */
  hotReload: boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  seq: number;
  time: number;
  level: LogLevel;
  msg: string;
  drone?: string;
  worker?: string;
  task?: string;
  [extra: string]: unknown;
}

/** Send-and-wait's answer when the task used up its attempts: the worker's last error. */
export interface RequestFailure {
  error: string;
  stack: string | null;
  attempts: number;
}

/** A task that used up its attempts, as the global queue keeps it. */
export interface FailedTask {
  id: string;
  type: string;
  data: unknown;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  lastErrorStack: string | null;
  createdAt: string;
}

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
}

export interface ConfigCheck {
  ok: boolean;
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
}

// ---- Pipeline debugging: the live graph, traces, the task explorer, replay, the debugger ----

/** An edge of the live pipeline graph: observed in this drone, counted since it started. */
export interface PipelineEdge {
  /** "claim:TYPE" (global queue → type), "local:FROM>TO" (a `local:` hop), "postback:FROM>TO" (a result posted back). */
  id: string;
  kind: 'claim' | 'local' | 'postback';
  /** A task type, or "global" for the global queue. */
  from: string;
  to: string;
  count: number;
  /** Per second, over the last 5 s. */
  rate: number;
  /** Median time from leaving `from` to starting in `to` (claim: enqueued → started), over recent ones; null before any. */
  latencyMs: number | null;
}

/** One step of a trace: a claimed task, or a `local:` hop of it. */
export interface TraceStep {
  stepId: number;
  parentId: number | null;
  type: string;
  state: 'queued' | 'running' | 'hopped' | 'done' | 'failed';
  attempt: number;
  /** Input (the task's data, or the previous step's output) and output, as JSON text. */
  input: string;
  output: string | null;
  error: string | null;
  stack: string | null;
  /** ms since epoch: entered the local queue, began running, finished, acknowledged by Postgres. */
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  ackedAt: number | null;
  /** Log lines the worker wrote while running this step. */
  logs: Array<{ time: number; level: LogLevel; msg: string }>;
  /** The first step of an attempt that started here, where an earlier attempt failed, rather than at the task's own type. */
  resumed?: boolean;
}

/** Every step of one global task in this drone, from its claim to its postback. The trace id is the task id. */
export interface Trace {
  traceId: string;
  /** When the task was created on the global queue. */
  createdAt: number;
  postback: string | null;
  steps: TraceStep[];
  /** This task is a replay of that step (history is kept), or null. */
  replayOf: { traceId: string; stepId: number } | null;
  /** Replays made of this task's steps: their task ids. */
  replays: string[];
  /** The task's data does not match its type's payload schema: why (null when it matches or there is none). */
  schemaProblem: string | null;
}

/** A row of the task explorer: one task (trace) of this drone, by its first step. */
export interface TaskRow {
  traceId: string;
  /** Keyset for paging: the id of the trace's first step. */
  stepId: number;
  type: string;
  /** The type of the last step so far (a chain moves through types). */
  lastType: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  steps: number;
  createdAt: number;
  queuedAt: number;
  finishedAt: number | null;
  error: string | null;
}

/** A worker instance started with the Node inspector for "debug this type". */
export interface DebugSession {
  type: string;
  instance: string;
  host: string;
  port: number;
  /** ws://… address for VS Code or Chrome DevTools; null until the inspector is listening. */
  webSocketUrl: string | null;
  /** devtools://devtools/bundled/js_app.html?ws=… to open in Chrome. */
  devtoolsUrl: string | null;
  /** The task handed to it, once one arrived. */
  taskId: string | null;
}
