/**
 * The local queue's own thread: it opens the file with LocalQueue and runs the calls the drone's
 * LocalQueueThread posts, one after another in the order posted. Answers to synchronous calls go
 * to their own port and wake the waiting drone thread; the others come back as messages.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { LocalQueue } from './localQueue.js';
import type { ThreadCall, ThreadReply } from './localQueueThread.js';

const { file, signal, syncPort } = workerData as { file: string; signal: Int32Array; syncPort: MessagePort };
let queue: LocalQueue | null = null;

function run(call: ThreadCall): ThreadReply {
  try {
    if (call.method === 'open') {
      queue = new LocalQueue(file);
      return { id: call.id, result: queue.path };
    }
    if (!queue) throw new Error('the local queue is not open');
    const fn = (queue as unknown as Record<string, (...args: unknown[]) => unknown>)[call.method];
    const result = fn.apply(queue, call.args);
    if (call.method === 'close') queue = null;
    return { id: call.id, result };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { id: call.id, error: { name: e.name, message: e.message, code: e.code } };
  }
}

function answer(call: ThreadCall): void {
  const reply = run(call);
  if (call.sync) {
    syncPort.postMessage(reply);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  } else {
    parentPort!.postMessage(reply);
  }
}

parentPort!.on('message', answer);
