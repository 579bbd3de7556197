/**
 * How the drone's side of the local queue reaches the LocalQueue that owns the file: by method
 * name, checked against LocalQueue at compile time, so a call the queue does not have, or with
 * the wrong arguments, does not build. Two ways: a thread of its own (threadTransport.ts), or the
 * caller's thread (here).
 */
import { LocalQueue } from './localQueue.js';
import { LocalQueueError } from './types.js';

/** LocalQueue's public methods (not its properties). */
export type Method = { [K in keyof LocalQueue]: LocalQueue[K] extends (...args: any[]) => unknown ? K : never }[keyof LocalQueue];
type Fn<M extends Method> = Extract<LocalQueue[M], (...args: any) => any>;
export type Args<M extends Method> = Parameters<Fn<M>>;
export type Result<M extends Method> = ReturnType<Fn<M>>;

export interface LocalQueueTransport {
  /** The queue file's absolute path. */
  readonly path: string;
  /** Runs a method after every call made before it; resolves once it ran (for a write: committed). */
  call<M extends Method>(method: M, ...args: Args<M>): Promise<Result<M>>;
  /** The same, waiting for the answer. */
  callSync<M extends Method>(method: M, ...args: Args<M>): Result<M>;
  /** Closes the file after every call made before; later calls fail with a LocalQueueError. */
  close(): void;
}

/**
 * In the calling thread: for where a thread may not block in Atomics.wait (which the synchronous
 * calls through a thread need). Node's main thread may; Electron's main process may not be allowed to.
 */
export class InProcessTransport implements LocalQueueTransport {
  private readonly q: LocalQueue;
  readonly path: string;
  private closed = false;

  constructor(file: string) {
    this.q = new LocalQueue(file);
    this.path = this.q.path;
  }

  private run<M extends Method>(method: M, args: Args<M>): Result<M> {
    if (this.closed) throw new LocalQueueError('the local queue is closed');
    return (this.q[method] as (...a: Args<M>) => Result<M>).apply(this.q, args);
  }

  call<M extends Method>(method: M, ...args: Args<M>): Promise<Result<M>> {
    try {
      return Promise.resolve(this.run(method, args));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  callSync<M extends Method>(method: M, ...args: Args<M>): Result<M> {
    return this.run(method, args);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.q.close();
  }
}
