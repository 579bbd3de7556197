import type { Step, StepLog } from '../queue/local/types.js';
import type { Logger } from '../log/logger.js';
import type { DebugSessionInfo } from './debugSessions.js';
import type { RunResult } from './runResult.js';
import type { InstanceInfo } from '../api/types.js';
import type { InspectorAddress } from './types.js';

export interface PoolEvents {
  /** Outcomes from workers, in batches; a crash or timeout arrives as a failure result. */
  results: [RunResult[]];
  /** Steps an instance held but never started; they go back to the front of the buffer. */
  requeue: [Step[]];
  /** An instance can take work again (started, restarted). */
  ready: [type: string];
  /** A log line a worker wrote while running a step (kept with the step's history). */
  stepLog: [StepLog];
}

/**
 * The worker pool as the drone (and its hot reloader) use it: what a fake pool has to provide
 * for the drone to run in a unit test without worker processes. WorkerPool is the real one.
 */
export interface WorkerPoolLike {
  /** The drone swaps in its own logger once it knows its id. */
  log: Logger;
  on<E extends keyof PoolEvents>(event: E, listener: (...args: PoolEvents[E]) => void): this;

  start(): Promise<void>;
  stop(graceMs: number): Promise<void>;

  types(): string[];
  serves(type: string): boolean;
  instanceCount(type: string): number;
  prefetchTotal(type: string): number;
  /** Tasks the instances of a type run at once, together. */
  slots(type: string): number;
  idleSlots(type: string): number;
  /** Tasks finished and time spent holding work, cumulative (the flow controller's service rate). */
  service(type: string, now: number): { finished: number; busyMs: number };
  setAutoPrefetch(type: string, n: number): void;
  prefetchFixed(type: string): boolean;
  schema(type: string): unknown;
  /** The module files, each with the types it serves. */
  modules(): Map<string, string[]>;

  /** Hands steps to the instances of a type, taking them off `pending`; what no instance has room for stays there. */
  fill(type: string, pending: Step[]): void;
  inflightCount(type: string): number;
  runningCount(type: string): number;
  totalInflight(): number;
  startedAt(type: string, stepId: number): number | null | undefined;
  instances(): InstanceInfo[];

  restartType(type: string, graceMs: number): Promise<void>;
  restartInstance(id: string, graceMs: number): Promise<void>;
  stopInstance(id: string, graceMs: number): Promise<void>;
  startInstance(id: string): Promise<void>;

  debug(type: string): Promise<{ instance: string; inspector: InspectorAddress; taskId: string | null }>;
  debugInfo(type: string): DebugSessionInfo | null;
  undebug(type: string, graceMs: number): Promise<void>;
}
