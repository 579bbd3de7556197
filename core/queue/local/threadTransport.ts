/**
 * The local queue in a thread of its own (thread.ts): the drone's one thread is the drain's
 * critical path, and SQLite took about a third of it. Asynchronous calls are posted and answered
 * by message, so the drone goes on with other work while SQLite commits; synchronous ones block
 * in Atomics.wait until the thread signals its answer. Either way calls are answered in the order
 * posted, so each sees every write posted before it.
 */
import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { LocalQueueError } from './types.js';
import type { Args, LocalQueueTransport, Method, Result } from './transport.js';

export interface ThreadCall {
  id: number;
  method: Method;
  args: unknown[];
  sync: boolean;
}
export type ThreadReply = { id: number; result?: unknown; error?: { name: string; message: string; code?: string } };
/** The id of the thread's first answer, to no call: the path it opened, or why it could not. */
export const OPEN_REPLY_ID = 0;

/** How long a synchronous call may wait for the thread: a stuck thread must not hang the drone silently. */
const SYNC_TIMEOUT_MS = 60_000;

function rebuild(error: NonNullable<ThreadReply['error']>): Error {
  const err = error.name === 'LocalQueueError' ? new LocalQueueError(error.message) : new Error(error.message);
  if (error.code) (err as Error & { code?: string }).code = error.code;
  return err;
}

export class ThreadTransport implements LocalQueueTransport {
  readonly path: string;
  private readonly worker: Worker;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly replies: MessagePort;
  private nextId = OPEN_REPLY_ID + 1;
  private readonly waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
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
      // The thread opens the file as it starts, and answers as to a synchronous call.
      this.path = this.awaitSync(OPEN_REPLY_ID, 'open') as string;
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

  callSync<M extends Method>(method: M, ...args: Args<M>): Result<M> {
    if (this.broken) throw this.broken;
    const id = this.nextId++;
    Atomics.store(this.signal, 0, 0);
    this.worker.postMessage({ id, method, args, sync: true } satisfies ThreadCall);
    return this.awaitSync(id, method) as Result<M>;
  }

  /** Blocks until the thread signals, and takes the answer with this id from the synchronous port. */
  private awaitSync(id: number, what: string): unknown {
    // Earlier asynchronous calls run first: a long batch ahead of this one is waited for too.
    if (Atomics.wait(this.signal, 0, 0, SYNC_TIMEOUT_MS) === 'timed-out') {
      throw new LocalQueueError(`the local queue's thread did not answer ${what} within ${SYNC_TIMEOUT_MS / 1000} s`);
    }
    // An answer to a call that timed out earlier may come first: skip it.
    let got = receiveMessageOnPort(this.replies);
    while (got && (got.message as ThreadReply).id !== id) got = receiveMessageOnPort(this.replies);
    if (!got) throw new LocalQueueError(`the local queue's thread gave no answer to ${what}`);
    const reply = got.message as ThreadReply;
    if (reply.error) throw rebuild(reply.error);
    return reply.result;
  }

  call<M extends Method>(method: M, ...args: Args<M>): Promise<Result<M>> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise<Result<M>>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args, sync: false } satisfies ThreadCall);
    });
  }

  /** Closes the file (after every call posted before) and ends the thread. */
  close(): void {
    if (this.broken) return;
    try {
      this.callSync('close');
    } finally {
      this.broken = new LocalQueueError('the local queue is closed');
      this.closed = true;
      // The answers to calls posted before the close are on their way: the thread ends once they are in.
      if (this.waiting.size === 0) void this.worker.terminate();
    }
  }
}
