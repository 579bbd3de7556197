import { useCallback, useEffect, useRef, useState } from 'react';
import type { FailedTask } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';

export const FAILED_PAGE = 100;
const REFRESH_MS = 5000;
const MAX_LIMIT = 1000;

export interface FailedList {
  items: FailedTask[];
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  loadMore(): void;
  refresh(): void;
  /** Drops rows locally at once (after retry / delete), before the next refresh confirms it. */
  forget(ids: readonly string[]): void;
}

/**
 * Failed tasks live in Postgres, not in the pushed snapshot, so this list re-reads them: every few
 * seconds while shown (other drones fail tasks too) and after every action. Paging is by keyset
 * (afterId); a refresh re-reads as many rows as are loaded, so "load more" is not lost.
 */
export function useFailedTasks(type: string): FailedList {
  const [items, setItems] = useState<FailedTask[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const loaded = useRef(0);
  const seq = useRef(0);

  const fetchFirst = useCallback(
    async (limit: number) => {
      const id = ++seq.current;
      setLoading(true);
      try {
        const rows = await call('failed.list', { type: type || undefined, limit });
        if (id !== seq.current) return;
        setItems(rows);
        loaded.current = rows.length;
        setHasMore(rows.length === limit);
        setError(null);
      } catch (err) {
        if (id === seq.current) setError((err as Error).message);
      } finally {
        if (id === seq.current) setLoading(false);
      }
    },
    [type],
  );

  const refresh = useCallback(() => {
    void fetchFirst(Math.min(MAX_LIMIT, Math.max(FAILED_PAGE, loaded.current)));
  }, [fetchFirst]);

  const loadMore = useCallback(() => {
    const last = items[items.length - 1];
    if (!last) return;
    const id = ++seq.current;
    setLoading(true);
    call('failed.list', { type: type || undefined, afterId: last.id, limit: FAILED_PAGE })
      .then((rows) => {
        if (id !== seq.current) return;
        setItems((cur) => [...cur, ...rows.filter((r) => !cur.some((c) => c.id === r.id))]);
        loaded.current += rows.length;
        setHasMore(rows.length === FAILED_PAGE);
        setError(null);
      })
      .catch((err: Error) => id === seq.current && setError(err.message))
      .finally(() => id === seq.current && setLoading(false));
  }, [items, type]);

  const forget = useCallback((ids: readonly string[]) => {
    const gone = new Set(ids);
    setItems((cur) => cur.filter((t) => !gone.has(t.id)));
    loaded.current = Math.max(0, loaded.current - ids.length);
  }, []);

  useEffect(() => {
    loaded.current = 0;
    void fetchFirst(FAILED_PAGE);
  }, [fetchFirst]);

  useEffect(() => {
    const t = window.setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, REFRESH_MS);
    return () => window.clearInterval(t);
  }, [refresh]);

  return { items, loading, error, hasMore, loadMore, refresh, forget };
}
