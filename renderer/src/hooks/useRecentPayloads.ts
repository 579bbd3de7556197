import { useCallback, useState } from 'react';
import { addRecent, loadRecent, saveRecent, type RecentPayloads } from '../lib/recentPayloads.js';
import { localStore as storage } from './localStore.js';

/** The last payloads sent per task type, in localStorage so they survive a reload. */
export function useRecentPayloads(): [RecentPayloads, (type: string, text: string) => void] {
  const [recent, setRecent] = useState<RecentPayloads>(() => loadRecent(storage()));
  const remember = useCallback((type: string, text: string) => {
    setRecent((cur) => {
      const next = addRecent(cur, type, text);
      if (next !== cur) saveRecent(storage(), next);
      return next;
    });
  }, []);
  return [recent, remember];
}
