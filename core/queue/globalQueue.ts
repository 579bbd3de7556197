/**
 * The global queue as the drone and the UI use it: batched claims that carry acknowledgements,
 * leases kept by heartbeats, wake-ups when tasks arrive. Postgres implements it (core/queue/pg), and
 * a gateway serves it to drones without database access (core/queue/remote); modules.ts picks one by
 * the config's queue.module. The drone is written against this interface only. Every implementation
 * passes the behaviours of test/queue/global-queue-contract.ts.
 */
import type { EventEmitter } from 'node:events';
import type { FailedTask, FailureGroup, FleetDrone, GlobalTask, QueueTypeRow } from '../api/types.js';
import type { ClaimRequest, ClaimedTask, Completion, DroneRow, Failure, NewTask, ResumePoint, TaskProgress } from './types.js';

/**
 * Whether wake-ups arrive: "checking" (connected, waiting for a notification of its own), "notify"
 * (they do), "poll" (they do not: the drone polls often instead), "down" (not connected).
 */
export type WakeupState = 'checking' | 'notify' | 'poll' | 'down';

export interface WakeupEvents {
  /** Tasks of this type arrived. */
  notify: [type: string];
  /** Connected (again): anything sent while away was missed, so look. */
  connected: [];
  disconnected: [error: Error];
  state: [state: WakeupState];
}

/** A stream of wake-ups; between them the drone polls. */
export interface Wakeups extends EventEmitter<WakeupEvents> {
  readonly state: WakeupState;
  /** They come over a connection given for them alone (not the queue's own, maybe pooled, one). */
  readonly direct: boolean;
  start(): void;
  stop(): Promise<void>;
}

/** Failed tasks by type, cause (FailureGroup.group) and time; an absent field is no condition. */
export interface FailedFilter {
  types?: string[];
  group?: string;
  since?: Date;
}

/** Which failed tasks a bulk action applies to: these ids, or every one the filter matches. */
export type FailedSelection = { ids: string[] } | FailedFilter;

/** A page of one type's tasks in one state (claimed: of any type, or of one drone). `after` is the previous page's `next`. */
export type BrowseQuery =
  | { state: 'available' | 'scheduled' | 'failed'; type: string; after?: string; limit?: number }
  | { state: 'claimed'; type?: string; claimedBy?: string; after?: string; limit?: number };

export interface GlobalQueue {
  /** Creates or updates what the queue needs (tables, functions); returns the steps applied. */
  migrate(): Promise<number[]>;
  enqueue(tasks: NewTask[]): Promise<string[]>;
  /** Claims what `wants` asks and, in the same round trip, acknowledges `ackIds` as done without a result. */
  claim(droneId: string, wants: ClaimRequest[], leaseMs: number, ackIds?: string[]): Promise<ClaimedTask[]>;
  complete(droneId: string, done: Completion[]): Promise<unknown>;
  fail(droneId: string, failures: Failure[]): Promise<unknown>;
  /**
   * Gives claimed tasks back without counting the attempt; those of `resumeAt` (chains given back
   * part-way) keep where their next attempt starts.
   */
  release(droneId: string, ids: string[], resumeAt?: ResumePoint[]): Promise<number>;
  releaseAllExcept(droneId: string, keep: string[]): Promise<number>;
  /** After a restart: which of these tasks the drone still holds (their leases renewed). */
  reclaim(droneId: string, ids: string[], leaseMs: number): Promise<Set<string>>;
  /** Registers the drone and extends the leases of `held`. */
  heartbeat(drone: DroneRow, leaseMs: number, held?: string[]): Promise<number>;
  /** Frees the tasks of drones whose leases ran out; returns their ids. */
  rescueExpired(): Promise<string[]>;
  deregister(droneId: string): Promise<void>;
  /** The id the queue files this drone under, as fleet() lists it (a gateway prefixes its token's name). */
  fileId(droneId: string): string;

  // ---- Inspection and operation, for the UI and the CLI: never on the drone's hot path ----
  /** Every type with its counts, each reading at most `cap` rows (see QueueTypeRow.capped). */
  overview(cap: number): Promise<QueueTypeRow[]>;
  /** Exact counts of one type (a full count). */
  countType(type: string): Promise<{ available: number; scheduled: number; claimed: number; failed: number }>;
  /** Every registered drone and what it holds. */
  fleet(): Promise<FleetDrone[]>;
  /** The database's clock (ms since epoch): what heartbeats, leases and run_at are times of. */
  clock(): Promise<number>;
  failureGroups(filter: FailedFilter, limit?: number): Promise<FailureGroup[]>;
  listFailed(opts?: FailedFilter & { afterId?: string; limit?: number }): Promise<FailedTask[]>;
  retryFailed(sel: FailedSelection): Promise<string[]>;
  deleteFailed(sel: FailedSelection): Promise<string[]>;
  findTask(id: string): Promise<GlobalTask | null>;
  /** Postbacks on the queue carrying the result of task `id`. */
  postbacksOf(id: string): Promise<GlobalTask[]>;
  browse(q: BrowseQuery): Promise<{ tasks: GlobalTask[]; next: string | null }>;
  /** Deletes waiting tasks (not claimed ones); returns those deleted. */
  cancel(ids: string[]): Promise<string[]>;
  /** Makes tasks waiting for a later run_at due now; returns those moved. */
  runNow(ids: string[]): Promise<string[]>;

  /** Takes the answers posted back under `type`; traceId is the id of the task each answers. */
  takePostbacks(type: string, limit: number): Promise<Array<{ id: string; dataJson: string; traceId: string | null }>>;
  /** Where these tasks of `type` are, and whether a live drone serves the type (send-and-wait). */
  progress(ids: string[], type: string): Promise<TaskProgress>;
  /**
   * Wake-ups when tasks arrive. `check` (the default) finds out whether notifications reach this
   * listener at all (the drone polls often while they do not); a requester that looks every second
   * anyway passes false and spends no connection on the check.
   */
  wakeups(opts?: { check?: boolean }): Wakeups;
  close(): Promise<void>;
}
