/**
 * Sends many items in batches (one API call each), bounded in count and in bytes so that a call
 * fits in one WebSocket message, with progress, cancel between batches, and resume: each item's
 * answer lands in its slot, and a later run sends only the items whose slot is still empty.
 */

export interface BatchLimits {
  maxCount: number;
  /** JSON bytes of the items of one batch (an item bigger than this goes alone). */
  maxBytes: number;
}

/** Indexes of the items to send, grouped into batches in order. */
export function batchIndexes(sizes: readonly number[], todo: readonly number[], limits: BatchLimits): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  for (const i of todo) {
    if (cur.length > 0 && (cur.length >= limits.maxCount || bytes + sizes[i] > limits.maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(i);
    bytes += sizes[i];
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export interface SendRun<R> {
  /** One slot per item: its answer, or undefined while it is not sent. */
  results: Array<R | undefined>;
  /** A batch that failed: its error, with the batch's `tasks[i]` named by line. Later batches were not sent. */
  error: string | null;
  cancelled: boolean;
}

export interface SendOptions<T, R> extends BatchLimits {
  items: readonly T[];
  /** JSON bytes of each item, as sizeOf measures them. */
  sizes: readonly number[];
  /** Answers from an earlier run (those items are not sent again). */
  results?: Array<R | undefined>;
  /** Batches in flight at once (1 keeps the items' order on the queue). */
  concurrency: number;
  send: (batch: T[]) => Promise<R[]>;
  lineOf: (item: T) => number;
  /** After each batch: how many items have answers, and the answers so far (slot per item). */
  onProgress: (done: number, results: ReadonlyArray<R | undefined>) => void;
  isCancelled: () => boolean;
}

export function sizeOf(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? 'null').length;
}

export async function sendInBatches<T, R>(o: SendOptions<T, R>): Promise<SendRun<R>> {
  const results: Array<R | undefined> = o.results ? [...o.results] : new Array<R | undefined>(o.items.length).fill(undefined);
  const todo = o.items.map((_, i) => i).filter((i) => results[i] === undefined);
  const queue = batchIndexes(o.sizes, todo, o);
  let done = o.items.length - todo.length;
  let error: string | null = null;
  o.onProgress(done, results);
  const worker = async () => {
    for (let batch = queue.shift(); batch && error === null && !o.isCancelled(); batch = queue.shift()) {
      const items = batch.map((i) => o.items[i]);
      try {
        const answers = await o.send(items);
        batch.forEach((i, k) => (results[i] = answers[k]));
        done += batch.length;
        o.onProgress(done, results);
      } catch (err) {
        error ??= namesLines((err as Error).message, items.map(o.lineOf));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  return { results, error, cancelled: error === null && results.some((r) => r === undefined) };
}

/** The API names a bad task of a batch as tasks[i]: the operator knows it by its line. */
export function namesLines(message: string, lines: readonly number[]): string {
  return message.replace(/tasks\[(\d+)\]/g, (m, i: string) => (lines[Number(i)] === undefined ? m : `line ${lines[Number(i)]}`));
}
