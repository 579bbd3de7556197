import { useCallback, useEffect, useRef, useState } from 'react';

export interface Page<T> {
  items: T[];
  /** The cursor of the page after this one; null at the end. */
  next: string | null;
}

export interface KeysetList<T> {
  items: T[];
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  loadMore(): void;
  refresh(): void;
  /** Drops rows locally at once (after an action on them), before the next refresh confirms it. */
  forget(ids: readonly string[]): void;
}

interface Options {
  /** Rows per "load more". */
  page: number;
  /** The most rows one call may ask for: a refresh re-reads at most this many. */
  maxLimit: number;
  /** Re-read every so often while the page is visible (other drones change the queue too). */
  refreshMs?: number;
  /** A figure that moves when the list does (its count on the overview): re-read when it changes. */
  follow?: number;
}

/**
 * A list of tasks on the global queue, read page by page with a keyset cursor (`after`). A new `key`
 * (another query) starts over. A refresh re-reads from the start as many rows as are loaded, so
 * "load more" is not undone by it. Answers to older calls are dropped.
 */
export function useKeysetList<T extends { id: string }>(
  key: string | null,
  fetchPage: (after: string | undefined, limit: number) => Promise<Page<T>>,
  { page, maxLimit, refreshMs, follow }: Options,
): KeysetList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const loaded = useRef(0);
  const seq = useRef(0);

  const read = useCallback(
    async (after: string | undefined, limit: number) => {
      if (key === null) return;
      const id = ++seq.current;
      setLoading(true);
      try {
        const res = await fetchRef.current(after, limit);
        if (id !== seq.current) return;
        if (after === undefined) {
          setItems(res.items);
          loaded.current = res.items.length;
        } else {
          setItems((cur) => [...cur, ...res.items.filter((r) => !cur.some((c) => c.id === r.id))]);
          loaded.current += res.items.length;
        }
        setNext(res.next);
        setError(null);
      } catch (err) {
        if (id === seq.current) setError((err as Error).message);
      } finally {
        if (id === seq.current) setLoading(false);
      }
    },
    [key],
  );

  const refresh = useCallback(() => void read(undefined, Math.min(maxLimit, Math.max(page, loaded.current))), [read, page, maxLimit]);
  const loadMore = useCallback(() => {
    if (next !== null) void read(next, page);
  }, [read, next, page]);
  const forget = useCallback((ids: readonly string[]) => {
    const gone = new Set(ids);
    setItems((cur) => cur.filter((t) => !gone.has(t.id)));
    loaded.current = Math.max(0, loaded.current - ids.length);
  }, []);

  useEffect(() => {
    loaded.current = 0;
    setItems([]);
    setNext(null);
    setError(null);
    void read(undefined, page);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a counter, not a DOM node: the latest value is the one to bump
    return () => void seq.current++;
  }, [read, page]);

  const followed = useRef({ key, follow });
  useEffect(() => {
    const was = followed.current;
    followed.current = { key, follow };
    if (was.key === key && was.follow !== follow) refresh();
  }, [key, follow, refresh]);

  useEffect(() => {
    if (!refreshMs) return;
    const t = window.setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, refreshMs);
    return () => window.clearInterval(t);
  }, [refresh, refreshMs]);

  return { items, loading, error, hasMore: next !== null, loadMore, refresh, forget };
}
