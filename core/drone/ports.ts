/**
 * What the drone's parts share, and what it needs of the parts it is given (the global queue and
 * the worker pool come in from outside: createDrone.ts wires the real ones; tests may hand in others).
 */
import type { DroneState, WakeupView } from '../api/types.js';
import type { ResolvedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { DroneLocalQueue } from '../queue/local/droneLocalQueue.js';
import type { GlobalQueue } from '../queue/globalQueue.js';
import type { WorkerPoolLike } from '../workers/poolLike.js';
import type { Buffers } from './buffers.js';
import type { DatabaseHealth } from './dbHealth.js';
import type { EdgeMeter } from './edges.js';

/** The drone as its parts see it. */
export interface DroneContext {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  readonly queue: GlobalQueue;
  readonly pool: WorkerPoolLike;
  readonly buffers: Buffers;
  readonly edges: EdgeMeter;
  readonly health: DatabaseHealth;
  /** Empty until the local queue is open. */
  readonly id: string;
  readonly state: DroneState;
  /** Null before start and after stop. */
  readonly local: DroneLocalQueue | null;
  /** How the drone learns of new tasks; null before it listens. */
  wakeupView(): WakeupView | null;
  /** Something in the snapshot changed. */
  changed(): void;
  /**
   * A call to the local queue failed; `consequence` says what the drone does about it. Logged as
   * the local queue's problem, never as the database's.
   */
  localQueueFailed(err: unknown, consequence: string): void;
  /** A step failed (any attempt): for whoever tells people (core/service/droneService.ts). */
  failed(type: string, error: string, stack: string | null): void;
}
