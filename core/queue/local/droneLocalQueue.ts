/**
 * The drone's local queue: LocalQueue behind a transport (its own thread, or the caller's). The hot
 * path — buffering a claimed batch, recording outcomes, acknowledging — is asynchronous: the drone
 * goes on with other work while SQLite commits, and waits for a commit only where the order matters
 * (workers see a batch after it is durable; Postgres hears of an outcome after it is). So are the
 * reads the API serves (traces, the task explorer), whose cost grows with the history: the drone's
 * thread must not sit in Atomics.wait while SQLite scans. Everything else is a synchronous call.
 */
import type { ClaimedTask } from '../types.js';
import { claimedSteps, doneEntry, flatClaimed, flatDone, flatRanges } from './wire.js';
import { InProcessTransport, type LocalQueueTransport } from './transport.js';
import { ThreadTransport } from './threadTransport.js';
import type { Finished, Outcome, Retention, Step, StepLog, StepRow, StepSearch, StepSearchPage, TraceLimits } from './types.js';

export class DroneLocalQueue {
  readonly path: string;

  constructor(private readonly to: LocalQueueTransport) {
    this.path = to.path;
  }

  // The hot path: resolves once committed. What crosses to the thread is kept flat (wire.ts), and
  // what comes back is built here.
  async insertClaimed(tasks: ClaimedTask[]): Promise<Step[]> {
    const now = Date.now();
    return claimedSteps(tasks, await this.to.call('insertClaimedFlat', flatClaimed(tasks), now), now);
  }
  async record(outcomes: Outcome[], logs: StepLog[] = []): Promise<{ created: Step[]; finished: Finished[] }> {
    const rows = logs.length === 0 ? flatDone(outcomes) : null;
    if (!rows) return this.to.call('record', outcomes, logs);
    const now = Date.now();
    await this.to.call('recordDoneFlat', rows, now);
    return { created: [], finished: outcomes.map((o) => doneEntry(o.step, (o as { resultJson: string }).resultJson, now)) };
  }
  ack(finished: Finished[], keepSteps = Number.MAX_SAFE_INTEGER): Promise<void> {
    return this.to.call(
      'ackFlat',
      flatRanges(finished),
      finished.map((f) => f.rootId),
      keepSteps,
      Date.now(),
    );
  }

  // Everything else, in order with the hot path.
  droneId(alias?: string): string {
    return this.to.callSync('droneId', alias);
  }
  queued(): Step[] {
    return this.to.callSync('queued');
  }
  finished(limit?: number): Finished[] {
    return this.to.callSync('finished', limit);
  }
  refail(rootId: string, error: string, retryInMs: number, final?: boolean): void {
    this.to.callSync('refail', rootId, error, retryInMs, final);
  }
  forget(rootIds: string[]): void {
    this.to.callSync('forget', rootIds);
  }
  prune(retention: Retention, now?: number): number {
    return this.to.callSync('prune', retention, now);
  }
  step(id: number): StepRow | null {
    return this.to.callSync('step', id);
  }
  addReplay(taskId: string, traceId: string, stepId: number, now?: number): void {
    this.to.callSync('addReplay', taskId, traceId, stepId, now);
  }
  heldRootIds(): string[] {
    return this.to.callSync('heldRootIds');
  }

  // Reads for the API: asynchronous (see above).
  stepAsync(id: number): Promise<StepRow | null> {
    return this.to.call('step', id);
  }
  trace(rootId: string, limits?: TraceLimits): Promise<StepRow[]> {
    return this.to.call('trace', rootId, limits);
  }
  logsOf(stepIds: number[], maxLines?: number): Promise<StepLog[]> {
    return this.to.call('logsOf', stepIds, maxLines);
  }
  searchRoots(q: StepSearch): Promise<StepSearchPage> {
    return this.to.call('searchRoots', q);
  }
  answeredBy(traceId: string): Promise<string[]> {
    return this.to.call('answeredBy', traceId);
  }

  replaysOf(traceId: string): Promise<string[]> {
    return this.to.call('replaysOf', traceId);
  }

  /** Closes the file after every call made before, and ends its thread if it has one. */
  close(): void {
    this.to.close();
  }
}

/** Whether this thread may block in Atomics.wait: V8 refuses before it compares the value, so this returns at once. */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** The drone's local queue: in a thread of its own where this thread can wait for it, else here. */
export function openLocalQueue(file: string): DroneLocalQueue {
  return new DroneLocalQueue(canBlock() ? new ThreadTransport(file) : new InProcessTransport(file));
}
