/**
 * The drone's local queue, run in a thread of its own (thread.ts): the drone's one thread is the
 * drain's critical path, and SQLite took about a third of it. The hot path — buffering a claimed
 * batch, recording outcomes, acknowledging — is asynchronous: the drone goes on with other work
 * while SQLite commits, and waits for a commit only where the order matters (workers see a batch
 * after it is durable; Postgres hears of an outcome after it is). So are the reads the API serves
 * (traces, the task explorer), whose cost grows with the history: the drone's thread must not sit
 * in Atomics.wait while SQLite scans. Everything else is a synchronous call. Either way calls are
 * answered in the order posted, so each sees every write posted before it.
 */
import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { ClaimedTask } from '../types.js';
import { LocalQueue } from './localQueue.js';
import { claimedSteps, doneEntry, flatClaimed, flatRanges } from './wire.js';
import { LocalQueueError, type Finished, type Outcome, type Retention, type Step, type StepLog, type StepRow, type StepSearch, type StepSearchPage, type TraceLimits } from './types.js';

export interface ThreadCall {
  id: number;
  method: string;
  args: unknown[];
  sync: boolean;
}
export type ThreadReply = { id: number; result?: unknown; error?: { name: string; message: string; code?: string } };

/** How long a synchronous call may wait for the thread: a stuck thread must not hang the drone silently. */
const SYNC_TIMEOUT_MS = 60_000;

function rebuild(error: NonNullable<ThreadReply['error']>): Error {
  const err = error.name === 'LocalQueueError' ? new LocalQueueError(error.message) : new Error(error.message);
  if (error.code) (err as Error & { code?: string }).code = error.code;
  return err;
}

export class LocalQueueThread {
  readonly path: string;
  private readonly worker: Worker;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly replies: MessagePort;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private broken: Error | null = null;
  private closed = false;

  constructor(file: string) {
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    this.worker = new Worker(new URL('./thread.js', import.meta.url), {
      workerData: { file, signal: this.signal, syncPort: port2 },
      transferList: [port2],
    });
    this.worker.on('message', (reply: ThreadReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.error) w.reject(rebuild(reply.error));
      else w.resolve(reply.result);
      if (this.closed && this.waiting.size === 0) void this.worker.terminate();
    });
    this.worker.on('error', (err) => this.fail(new LocalQueueError(`the local queue's thread failed: ${err.message}`)));
    this.worker.on('exit', () => this.fail(new LocalQueueError('the local queue is closed')));
    try {
      this.path = this.callSync('open', []) as string;
    } catch (err) {
      void this.worker.terminate();
      throw err;
    }
    // It keeps the process alive only while a call waits for it (the drone closes it when it stops).
    this.worker.unref();
  }

  private fail(err: Error): void {
    this.broken ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private callSync(method: string, args: unknown[]): unknown {
    if (this.broken) throw this.broken;
    const id = this.nextId++;
    Atomics.store(this.signal, 0, 0);
    this.worker.postMessage({ id, method, args, sync: true } satisfies ThreadCall);
    // Earlier asynchronous calls run first: a long batch ahead of this one is waited for too.
    if (Atomics.wait(this.signal, 0, 0, SYNC_TIMEOUT_MS) === 'timed-out') {
      throw new LocalQueueError(`the local queue's thread did not answer ${method} within ${SYNC_TIMEOUT_MS / 1000} s`);
    }
    // An answer to a call that timed out earlier may come first: skip it.
    let got = receiveMessageOnPort(this.replies);
    while (got && (got.message as ThreadReply).id !== id) got = receiveMessageOnPort(this.replies);
    if (!got) throw new LocalQueueError(`the local queue's thread gave no answer to ${method}`);
    const reply = got.message as ThreadReply;
    if (reply.error) throw rebuild(reply.error);
    return reply.result;
  }

  private call<T>(method: string, args: unknown[]): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, args, sync: false } satisfies ThreadCall);
    });
  }

  // The hot path: resolves once committed. What crosses to the thread is kept flat (arrays of
  // strings and numbers), and what comes back is built here: copying objects between threads cost
  // as much as the SQLite work the thread takes off this one.
  async insertClaimed(tasks: ClaimedTask[]): Promise<Step[]> {
    const now = Date.now();
    return claimedSteps(tasks, await this.call<number>('insertClaimedFlat', [flatClaimed(tasks), now]), now);
  }
  async record(outcomes: Outcome[], logs: StepLog[] = []): Promise<{ created: Step[]; finished: Finished[] }> {
    if (logs.length > 0 || outcomes.some((o) => o.kind !== 'done')) return this.call('record', [outcomes, logs]);
    const now = Date.now();
    const rows: Array<number | string | null> = [];
    for (const o of outcomes) rows.push(o.step.id, (o as { resultJson: string }).resultJson, o.startedAt ?? null);
    await this.call('recordDoneFlat', [rows, now]);
    return { created: [], finished: outcomes.map((o) => doneEntry(o.step, (o as { resultJson: string }).resultJson, now)) };
  }
  ack(finished: Finished[], keepSteps = Number.MAX_SAFE_INTEGER): Promise<void> {
    return this.call('ackFlat', [flatRanges(finished), finished.map((f) => f.rootId), keepSteps, Date.now()]);
  }

  // Everything else, in order with the hot path.
  droneId(alias?: string): string {
    return this.callSync('droneId', [alias]) as string;
  }
  queued(): Step[] {
    return this.callSync('queued', []) as Step[];
  }
  finished(limit?: number): Finished[] {
    return this.callSync('finished', [limit]) as Finished[];
  }
  refail(rootId: string, error: string, retryInMs: number): void {
    this.callSync('refail', [rootId, error, retryInMs]);
  }
  forget(rootIds: string[]): void {
    this.callSync('forget', [rootIds]);
  }
  prune(retention: Retention, now?: number): number {
    return this.callSync('prune', [retention, now]) as number;
  }
  step(id: number): StepRow | null {
    return this.callSync('step', [id]) as StepRow | null;
  }
  // Reads for the API: asynchronous (see above).
  stepAsync(id: number): Promise<StepRow | null> {
    return this.call('step', [id]);
  }
  trace(rootId: string, limits?: TraceLimits): Promise<StepRow[]> {
    return this.call('trace', [rootId, limits]);
  }
  logsOf(stepIds: number[], maxLines?: number): Promise<StepLog[]> {
    return this.call('logsOf', [stepIds, maxLines]);
  }
  searchRoots(q: StepSearch): Promise<StepSearchPage> {
    return this.call('searchRoots', [q]);
  }
  addReplay(taskId: string, traceId: string, stepId: number, now?: number): void {
    this.callSync('addReplay', [taskId, traceId, stepId, now]);
  }
  replaysOf(traceId: string): Promise<string[]> {
    return this.call('replaysOf', [traceId]);
  }
  heldRootIds(): string[] {
    return this.callSync('heldRootIds', []) as string[];
  }

  /** Closes the file (after every call posted before) and ends the thread. */
  close(): void {
    if (this.broken) return;
    try {
      this.callSync('close', []);
    } finally {
      this.broken = new LocalQueueError('the local queue is closed');
      this.closed = true;
      // The answers to calls posted before the close are on their way: the thread ends once they are in.
      if (this.waiting.size === 0) void this.worker.terminate();
    }
  }
}

/** What the drone uses of its local queue: LocalQueueThread's methods. */
export type DroneLocalQueue = Pick<LocalQueueThread, keyof LocalQueueThread>;

/**
 * The same, in the calling thread: for where a thread may not block in Atomics.wait (which the
 * synchronous calls need). Node's main thread may; Electron's main process may not be allowed to.
 */
export class LocalQueueHere implements DroneLocalQueue {
  private readonly q: LocalQueue;
  readonly path: string;

  constructor(file: string) {
    this.q = new LocalQueue(file);
    this.path = this.q.path;
  }

  async insertClaimed(tasks: ClaimedTask[]): Promise<Step[]> {
    return this.q.insertClaimed(tasks);
  }
  async record(outcomes: Outcome[], logs: StepLog[] = []): Promise<{ created: Step[]; finished: Finished[] }> {
    return this.q.record(outcomes, logs);
  }
  async ack(finished: Finished[], keepSteps?: number): Promise<void> {
    this.q.ack(finished, keepSteps);
  }
  droneId(alias?: string): string {
    return this.q.droneId(alias);
  }
  queued(): Step[] {
    return this.q.queued();
  }
  finished(limit?: number): Finished[] {
    return this.q.finished(limit);
  }
  refail(rootId: string, error: string, retryInMs: number): void {
    this.q.refail(rootId, error, retryInMs);
  }
  forget(rootIds: string[]): void {
    this.q.forget(rootIds);
  }
  prune(retention: Retention, now?: number): number {
    return this.q.prune(retention, now);
  }
  step(id: number): StepRow | null {
    return this.q.step(id);
  }
  async stepAsync(id: number): Promise<StepRow | null> {
    return this.q.step(id);
  }
  async trace(rootId: string, limits?: TraceLimits): Promise<StepRow[]> {
    return this.q.trace(rootId, limits);
  }
  async logsOf(stepIds: number[], maxLines?: number): Promise<StepLog[]> {
    return this.q.logsOf(stepIds, maxLines);
  }
  async searchRoots(q: StepSearch): Promise<StepSearchPage> {
    return this.q.searchRoots(q);
  }
  addReplay(taskId: string, traceId: string, stepId: number, now?: number): void {
    this.q.addReplay(taskId, traceId, stepId, now);
  }
  async replaysOf(traceId: string): Promise<string[]> {
    return this.q.replaysOf(traceId);
  }
  heldRootIds(): string[] {
    return this.q.heldRootIds();
  }
  close(): void {
    this.q.close();
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
  return canBlock() ? new LocalQueueThread(file) : new LocalQueueHere(file);
}
