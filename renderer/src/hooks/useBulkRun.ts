import { useCallback, useRef, useState } from 'react';
import { sendInBatches, sizeOf, type BatchLimits } from '../lib/bulkSend.js';

export interface BulkRun<T, R> {
  kind: 'enqueue' | 'wait';
  items: readonly T[];
  results: Array<R | undefined>;
  done: number;
  running: boolean;
  cancelled: boolean;
  error: string | null;
  ms: number;
}

export interface BulkPlan<T, R> extends BatchLimits {
  kind: 'enqueue' | 'wait';
  items: readonly T[];
  concurrency: number;
  send: (batch: T[]) => Promise<R[]>;
  lineOf: (item: T) => number;
}

/**
 * One bulk send at a time, with progress, cancel (between batches) and "send the rest": a stopped
 * run resumes with only the items that have no answer yet, so no task is sent twice or lost.
 */
export function useBulkRun<T, R>(): {
  run: BulkRun<T, R> | null;
  start: (plan: BulkPlan<T, R>) => Promise<void>;
  resume: () => Promise<void>;
  cancel: () => void;
  clear: () => void;
} {
  const [run, setRun] = useState<BulkRun<T, R> | null>(null);
  const cancelled = useRef(false);
  const last = useRef<{ plan: BulkPlan<T, R>; sizes: number[]; results: Array<R | undefined> } | null>(null);

  const go = useCallback(async (plan: BulkPlan<T, R>, sizes: number[], results?: Array<R | undefined>) => {
    cancelled.current = false;
    const started = performance.now();
    const base = { kind: plan.kind, items: plan.items, running: true, cancelled: false, error: null, ms: 0 };
    setRun({ ...base, results: results ?? [], done: 0 });
    const out = await sendInBatches<T, R>({
      ...plan,
      sizes,
      results,
      isCancelled: () => cancelled.current,
      onProgress: (done, answers) => setRun((r) => (r ? { ...r, done, results: [...answers] } : r)),
    });
    last.current = { plan, sizes, results: out.results };
    const done = out.results.filter((r) => r !== undefined).length;
    setRun({ ...base, results: out.results, done, running: false, cancelled: out.cancelled, error: out.error, ms: Math.round(performance.now() - started) });
  }, []);

  const start = useCallback((plan: BulkPlan<T, R>) => go(plan, plan.items.map(sizeOf)), [go]);
  const resume = useCallback(async () => {
    if (last.current) await go(last.current.plan, last.current.sizes, last.current.results);
  }, [go]);
  const cancel = useCallback(() => {
    cancelled.current = true;
  }, []);
  const clear = useCallback(() => {
    last.current = null;
    setRun(null);
  }, []);
  return { run, start, resume, cancel, clear };
}
