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
  /** Tasks of this type the drone buffers at most, now (the flow controller's target, or maxPerWorker × instances). */
  capacity: number;
  /** How the buffer is sized: 'auto' from what the drone measures, 'fixed' by maxPerWorker. */
  flow: 'auto' | 'fixed';
  /** What the last claim of this type asked for (0: none yet). */
  claimSize: number;
  /** Tasks each instance is handed ahead, when the drone decides it; null when every instance sets prefetch. */
  prefetch: number | null;
  /** Tasks per second the workers finish while they have work; null before the first is measured. */
  serviceRate: number | null;
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

/**
 * The global queue's database as the drone last saw it: `unreachable` (no connection), `timeout`
 * (connected, no answer in time), `error` (it answered, refusing a statement), or `connected`.
 */
export type DatabaseState = 'connected' | 'unreachable' | 'error' | 'timeout';
/** Which database a drone uses: SWARMAGE_DATABASE_URL, the config's connectionString, or the embedded server started for it. */
export type DatabaseSource = 'embedded' | 'config' | 'SWARMAGE_DATABASE_URL' | 'gateway';

export interface DroneSnapshot {
  id: string;
  host: string;
  pid: number;
  state: DroneState;
  startedAt: number;
  /**
   * `connected`: the last round trip worked at the connection level (also while `state` is `error`).
   * `source`: where the URL came from; "embedded": this machine's own server, which drones elsewhere cannot share (the UI flags it).
   */
  database: { url: string; connected: boolean; lastError: string | null; retryAt: number | null; state: DatabaseState; source: DatabaseSource };
  /** How the drone learns of new tasks; null before it has started listening. */
  wakeups: WakeupView | null;
  types: TypeStats[];
  workers: InstanceInfo[];
  outbox: number;
  /** The live pipeline graph's edges (the nodes are `types`, and "global" for the global queue). */
  edges: PipelineEdge[];
  /** Worker modules restart when their file changes (dev mode). */
  hotReload: boolean;
}

/**
 * How a drone learns of new tasks. state: "notify" (notifications arrive: it checked with one of its
 * own), "poll" (they do not, e.g. behind a pooler in transaction mode: it polls every pollMs),
 * "checking" (connected, its check not back yet), "down" (reconnecting). direct: LISTEN goes over a
 * connection given for it alone.
 */
export interface WakeupView {
  state: 'checking' | 'notify' | 'poll' | 'down';
  direct: boolean;
  pollMs: number;
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
  /** Its cause (FailureGroup.group). */
  group: string | null;
  /** When its last attempt failed (ms since epoch); null for a task failed before this was recorded. */
  failedAt: number | null;
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
  /** When a task of this drone last failed (any attempt); null when none has since the service started. */
  lastFailureAt: number | null;
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
  /** This task is a postback: the id of the task whose result it carries (the trace before it in the chain). */
  answers: string | null;
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

// ---- The global queue as a whole: every type, the fleet of drones, failures by cause, any task ----

/** One task type on the global queue, as every drone sees it. */
export interface QueueTypeRow {
  type: string;
  /** Waiting and due now. */
  available: number;
  /** Waiting for a run_at in the future (a delay, or a retry's backoff). */
  scheduled: number;
  /** Held by drones. */
  claimed: number;
  /** Attempts used up. */
  failed: number;
  /**
   * A count that reached the overview's cap is a lower bound: the overview reads at most `cap` rows per
   * type and state, so it stays cheap on a table of millions (queue.count gives the exact number).
   */
  capped: boolean;
  /** How long the oldest task due now has waited (ms); null when none is due. */
  oldestWaitingMs: number | null;
  /** Steps of this type finished per second by live drones (their last heartbeat's 5 s rate). */
  processedPerSec: number;
  /** Tasks added per second since the previous overview (approximate: backlog change plus processed); null before a second sample or when capped. */
  enqueuedPerSec: number | null;
  /** Live drones that serve the type. */
  servedBy: string[];
  /** Tasks are due and no live drone serves the type: they pile up. */
  unserved: boolean;
}

export type FleetDroneState = 'alive' | 'stale' | 'dead';

/** A drone registered on the global queue (any machine). */
export interface FleetDrone {
  id: string;
  host: string;
  pid: number;
  types: string[];
  version: string | null;
  /** How it learns of new tasks (describeWakeups); null for a drone older than this field. */
  wakeups: string | null;
  startedAt: number;
  heartbeatAt: number;
  /** alive: heartbeats on time; stale: one missed (its tasks still leased); dead: its lease ran out. */
  state: FleetDroneState;
  leaseMs: number;
  /** Global tasks it holds (claimed). */
  held: number;
  /** For a drone that stopped heartbeating: when the last of its claims' leases ends, and any live drone may take them back (ms since epoch). */
  claimsReturnAt: number | null;
  /** This is the drone of this UI. */
  self: boolean;
}

export interface QueueOverview {
  /** The database's clock (ms since epoch). */
  now: number;
  /** The most rows any count reads per type and state. */
  cap: number;
  types: QueueTypeRow[];
  drones: FleetDrone[];
}

/** Failed tasks with the same cause: normalised message and first stack frame (like Sentry's grouping). */
export interface FailureGroup {
  /** Stable key of the cause. */
  group: string;
  /** The normalised message (numbers, ids and quoted values replaced). */
  title: string;
  /** The first stack frame that identifies where, or null. */
  frame: string | null;
  /** The most recent task's error and id, to open one. */
  sampleError: string;
  sampleId: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  types: string[];
}

export type GlobalTaskState = 'available' | 'scheduled' | 'claimed' | 'failed';

/** A task as the global queue holds it. */
export interface GlobalTask {
  id: string;
  type: string;
  state: GlobalTaskState;
  /** The payload as JSON text (shortened to 2,000 characters in lists). */
  data: string;
  postback: string | null;
  priority: number;
  runAt: number;
  attempts: number;
  maxAttempts: number;
  claimedBy: string | null;
  leaseUntil: number | null;
  error: string | null;
  stack: string | null;
  failedAt: number | null;
  createdAt: number;
  /** For a postback: the id of the task whose result it carries. */
  answers: string | null;
}

/** Where a task id is: on the global queue, in this drone's traces, and the chain around it. */
export interface TaskLookup {
  id: string;
  /** Still on the global queue (a finished task is gone from it). */
  global: GlobalTask | null;
  /** This drone's trace of it, if it ran here and the trace is kept. */
  trace: Trace | null;
  /** The task this one's data answers (it is a postback), when known. */
  answers: string | null;
  /** Postbacks on the global queue that carry this task's result (waiting for their drone). */
  postbacks: GlobalTask[];
  /** Tasks that carried this task's result and ran in this drone: the traces after it in the chain. */
  answeredBy: string[];
  /** Said when the task is nowhere: what that means. */
  note: string | null;
}

/**
 * One drone the app operates: a config file it runs in this process ("local"), or a drone running
 * elsewhere that it is attached to through that drone's UI host ("attached").
 */
export interface ProfileInfo {
  /** Stable: a hash of the config file's path or of the attached drone's address. */
  id: string;
  name: string;
  kind: 'local' | 'attached';
  /** local: the config file it runs on; attached: the remote drone's config file, once known. */
  configFile: string | null;
  /** attached: the address of the drone's UI host. */
  url: string | null;
  /** As AppInfo.state; "stopped" for a profile that is not started (or an attached drone not connected). */
  state: AppInfo['state'];
  error: string | null;
  /** The drone claims nothing (paused or draining). */
  paused: boolean;
  /** A task of this drone failed within the last minute. */
  failing: boolean;
  types: string[];
  /** Tasks held (buffered) and running now. */
  buffered: number;
  running: number;
}

/** What the app's profile list looks like, pushed as the "profiles" event whenever it changes. */
export interface ProfilesView {
  profiles: ProfileInfo[];
  /** Config files opened before, newest first. */
  recent: string[];
  /** false: this host runs exactly one drone (swarmage drone --ui); profiles are managed by the desktop app. */
  editable: boolean;
  /** The host can show a native file picker (profiles.pick). */
  canPick: boolean;
}

/** A task of a drone failed with a cause not seen lately: what a desktop notification says. */
export interface FailureNotice {
  profile: string;
  profileName: string;
  type: string;
  /** FailureGroup.group of the cause. */
  group: string;
  message: string;
}
