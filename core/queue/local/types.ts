/** What the local queue takes and gives: its steps, outcomes, outbox entries and history rows. */

/** One unit of work in this drone: a claimed global task, or a `local:` hop of one. */
export interface Step {
  id: number;
  rootId: string;
  parentId: number | null;
  /** Ids of the earlier steps of this chain, oldest first: acknowledged together with this one. */
  chain: number[];
  type: string;
  dataJson: string;
  postback: string | null;
  attempt: number;
  maxAttempts: number;
  /** When the root task was created on the global queue (ms since epoch). */
  createdAt: number;
  /** When this step entered the local queue. */
  queuedAt: number;
  /** For a `local:` hop: the type of the step it came from (the pipeline edge it crossed). */
  parentType?: string;
}

export type Outcome = { startedAt?: number | null } & (
  | { kind: 'hop'; step: Step; nextType: string; nextDataJson: string }
  | { kind: 'done'; step: Step; resultJson: string }
  /** final: another attempt cannot succeed (see Failure in ../types.ts). */
  | { kind: 'failed'; step: Step; error: string; stack: string | null; retryInMs: number; final?: boolean }
);

/** A chain that ended and waits for Postgres to acknowledge it: one entry of the outbox. */
export interface Finished {
  rootId: string;
  /** The type of the chain's last step, and when it finished (the postback edge of the pipeline graph). */
  type: string;
  finishedAt: number;
  /** Every step of the chain, marked acknowledged together. */
  stepIds: number[];
  postback: string | null;
  state: 'done' | 'failed';
  resultJson: string | null;
  error: string | null;
  stack: string | null;
  retryInMs: number;
  /** A failure another attempt cannot make succeed: the task is failed at once. */
  final: boolean;
  /** A chain that failed at a `local:` hop: that step's type and input, where its next attempt starts. */
  resumeType: string | null;
  resumeDataJson: string | null;
}

/** How long acknowledged steps stay in the file as history (traces); whichever limit comes first. */
export interface Retention {
  keepSteps: number;
  keepMs: number;
}

/** A log line a worker wrote while running a step (kept with the step's history). */
export interface StepLog {
  stepId: number;
  time: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
}

/** A step as the local queue keeps it (live or history): what traces and the task explorer show. */
export interface StepRow {
  id: number;
  rootId: string;
  parentId: number | null;
  type: string;
  dataJson: string;
  state: 'queued' | 'hopped' | 'done' | 'failed';
  resultJson: string | null;
  error: string | null;
  stack: string | null;
  postback: string | null;
  attempt: number;
  createdAt: number;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  ackedAt: number | null;
  /** Set on the first step of a replayed task: "traceId:stepId" of the step it replays. */
  replayOf: string | null;
  /** The first step of an attempt that started where an earlier attempt failed (not at the task's own type). */
  resumed: boolean;
  /** Set on the first step of a postback: the id of the task whose result it carries. */
  answers: string | null;
}

/** A step without its data, result and stack, its error cut to a preview: what the task explorer's rows need. */
export type StepHead = Omit<StepRow, 'dataJson' | 'resultJson' | 'stack'>;

/** How much of a trace's texts one answer carries (see trace()). */
export interface TraceLimits {
  /** Each input, output, error and stack: at most this many characters. */
  fieldChars: number;
  /** All of them together: past this, each keeps only a short preview. */
  totalChars: number;
}

/** A condition on the JSON data of a task's first step (the task explorer's `where`). */
export interface DataCondition {
  /** An SQLite JSON path such as $.user.id (checked by the API contract's pattern). */
  path: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'exists' | 'contains';
  value?: string | number | boolean | null;
}

/** The task explorer's filters: every one applies to the first step of a chain (its root). */
export interface StepSearch {
  type?: string;
  /** queued_at of the first step, ms since epoch, inclusive. */
  from?: number;
  to?: number;
  where?: DataCondition;
  /** Keyset: only first steps with a smaller id. */
  before?: number;
  /**
   * Examine at most this many step ids below `before` (or below the newest): one call's cost stays
   * bounded however long the history is; `more` then says where to go on.
   */
  scan?: number;
  limit: number;
}

/** A page of searchRoots: the first steps found with their chains, and where an unfinished scan goes on. */
export interface StepSearchPage {
  found: Array<{ root: StepHead; chain: StepHead[] }>;
  /** The scan window ended before the oldest step and found fewer than `limit`: the `before` to go on with; else null. */
  more: number | null;
}

export class LocalQueueError extends Error {
  override name = 'LocalQueueError';
}
