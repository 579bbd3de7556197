/** The global queue's data: tasks as enqueued and claimed, outcomes, drones (see globalQueue.ts). */

export interface NewTask {
  type: string;
  data?: unknown;
  postback?: string | null;
  priority?: number;
  /** When the task may run; default now. */
  runAt?: Date;
  maxAttempts?: number;
  /** A replay: "traceId:stepId" of the step it replays (kept with the task, shown in its trace). */
  replayOf?: string | null;
}

export interface ClaimedTask {
  id: string;
  type: string;
  /** The payload as JSON text, exactly as stored. */
  dataJson: string;
  postback: string | null;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  priority: number;
  createdAt: number;
  /** Set when the task is a replay: "traceId:stepId". */
  replayOf?: string | null;
  /** Set when the task is a postback: the id of the task whose result it carries. */
  answers?: string | null;
  /**
   * Set when an earlier attempt failed at a `local:` step (see Failure): the type of that step, and
   * its input as JSON text. The drone starts this attempt there instead of at `type` with `dataJson`.
   */
  resumeType?: string | null;
  resumeDataJson?: string | null;
}

export interface ClaimRequest {
  type: string;
  limit: number;
}

export interface Completion {
  id: string;
  /** The final result as JSON text; posted back when the task has a postback. */
  resultJson: string;
  /** The task's postback, when the caller knows it: null means none, so the result need not travel. */
  postback?: string | null;
}

export interface Failure {
  id: string;
  error: string;
  stack?: string | null;
  /** Delay before the next attempt (ignored when attempts are used up). */
  retryInMs: number;
  /** Another attempt cannot succeed (a result too large, or not JSON): the task is failed now, whatever attempts remain. */
  final?: boolean;
  /**
   * The chain failed at a `local:` step: its type, and its input as JSON text. The task keeps them,
   * and its next attempt (a retry, or a retry by hand) starts there. Not set: the task keeps the
   * resume point it had, if any (a resumed attempt that failed at the same step).
   */
  resumeType?: string | null;
  resumeDataJson?: string | null;
}

/** Where a chain given back part-way goes on: its next step's type and input (see Failure). */
export interface ResumePoint {
  id: string;
  resumeType: string;
  resumeDataJson: string;
}

export interface DroneRow {
  id: string;
  host: string;
  pid: number;
  taskTypes: string[];
  startedAt: Date;
  version?: string;
  /** Steps finished per second by type, over the last 5 s (the Queue view's processing rate). */
  rates?: Record<string, number>;
  /** How it learns of new tasks (core/util/wakeups.ts wakeupToken); absent before it listens. */
  wakeups?: string;
}

/** Where a requester's tasks are (those still in the queue; done ones are gone), and who could run them. */
export interface TaskProgress {
  /** Live drones serving the type (heartbeat within their lease). */
  served: number;
  /** The database's clock, ms since epoch: what runAt compares with. */
  now: number;
  tasks: Array<{
    id: string;
    state: 'available' | 'claimed' | 'failed';
    attempts: number;
    maxAttempts: number;
    runAt: number;
    error: string | null;
    stack: string | null;
  }>;
}
