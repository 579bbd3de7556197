/**
 * The local queue's own thread: it opens the file with LocalQueue and runs the calls ThreadTransport
 * posts, one after another in the order posted. Answers to synchronous calls (and to the opening)
 * go to their own port and wake the waiting drone thread; the others come back as messages.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { LocalQueue } from './localQueue.js';
import { OPEN_REPLY_ID, type ThreadCall, type ThreadReply } from './threadTransport.js';

const { file, signal, syncPort } = workerData as { file: string; signal: Int32Array; syncPort: MessagePort };
let queue: LocalQueue | null = null;

function errorReply(id: number, err: unknown): ThreadReply {
  const e = err as Error & { code?: string };
  return { id, error: { name: e.name, message: e.message, code: e.code } };
}

function run(call: ThreadCall): ThreadReply {
  try {
    if (!queue) throw new Error('the local queue is not open');
    const fn = queue[call.method] as (...args: unknown[]) => unknown;
    return { id: call.id, result: fn.apply(queue, call.args) };
  } catch (err) {
    return errorReply(call.id, err);
  }
}

function answerSync(reply: ThreadReply): void {
  syncPort.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

try {
  queue = new LocalQueue(file);
  answerSync({ id: OPEN_REPLY_ID, result: queue.path });
} catch (err) {
  answerSync(errorReply(OPEN_REPLY_ID, err));
}

parentPort!.on('message', (call: ThreadCall) => {
  const reply = run(call);
  if (call.sync) answerSync(reply);
  else parentPort!.postMessage(reply);
});
