import { useCallback, useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  /** An answer (possibly null) has arrived for this key. */
  loaded: boolean;
  refresh(): void;
}

/**
 * Calls `fetch` now and every `everyMs` while mounted (0: once), again whenever `key` changes;
 * answers to older calls are dropped. Data not kept in the pushed snapshot (tasks, traces) is read
 * this way while it is on screen.
 */
export function usePoll<T>(key: string | null, fetch: () => Promise<T>, everyMs: number): Polled<T> {
  const [state, setState] = useState<{ key: string | null; data: T | null; error: string | null; loading: boolean; loaded: boolean }>({
    key,
    data: null,
    error: null,
    loading: false,
    loaded: false,
  });
  const fetchRef = useRef(fetch);
  fetchRef.current = fetch;
  const seq = useRef(0);

  const run = useCallback(async () => {
    if (key === null) return;
    const id = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await fetchRef.current();
      if (id === seq.current) setState({ key, data, error: null, loading: false, loaded: true });
    } catch (err) {
      if (id === seq.current)
        setState((s) => ({ ...s, key, data: s.key === key ? s.data : null, error: (err as Error).message, loading: false, loaded: true }));
    }
  }, [key]);

  useEffect(() => {
    void run();
    if (!everyMs || key === null) return () => void seq.current++;
    const t = window.setInterval(() => void run(), everyMs);
    return () => {
      // eslint-disable-next-line react-hooks/exhaustive-deps -- a counter, not a DOM node: the latest value is the one to bump
      seq.current++;
      window.clearInterval(t);
    };
  }, [run, everyMs, key]);

  // Data of another key (the effect has not run yet) is not shown.
  const fresh = state.key === key;
  return {
    data: fresh ? state.data : null,
    error: fresh ? state.error : null,
    loading: state.loading,
    loaded: fresh && state.loaded,
    refresh: () => void run(),
  };
}
