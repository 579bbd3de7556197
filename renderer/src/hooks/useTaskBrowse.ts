import type { GlobalTask, GlobalTaskState } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useKeysetList, type KeysetList } from './useKeysetList.js';

export const BROWSE_PAGE = 50;
const BROWSE_MAX = 500;

export type BrowseQuery = { state: Exclude<GlobalTaskState, 'claimed'>; type: string } | { state: 'claimed'; type?: string; claimedBy?: string };

/**
 * Tasks on the global queue in one state (of a type, or held by a drone), a page at a time.
 * `follow`: their count on the overview, so that the list is read again when it moves.
 */
export function useTaskBrowse(query: BrowseQuery, follow: number): KeysetList<GlobalTask> {
  const key = JSON.stringify(query);
  return useKeysetList(
    key,
    async (after, limit) => {
      const r = await call('tasks.browse', { ...query, after, limit });
      return { items: r.tasks, next: r.next };
    },
    { page: BROWSE_PAGE, maxLimit: BROWSE_MAX, follow },
  );
}
