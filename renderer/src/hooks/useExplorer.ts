import { useCallback } from 'react';
import { call } from '../api/droneApi.js';
import { toSearchArgs } from '../lib/explorerQuery.js';
import { appStore } from './useApp.js';

export const EXPLORER_PAGE = 50;

let seq = 0;

/** Runs the explorer's search from the store's form: `older` fetches the next page by keyset. */
export function useExplorerSearch(): (older?: boolean) => Promise<void> {
  return useCallback(async (older = false) => {
    const st = appStore.getState();
    const q = toSearchArgs(st.explorer.form, EXPLORER_PAGE);
    if (!q.ok) {
      st.setExplorerStatus(false, q.message);
      return;
    }
    const before = older ? st.explorer.next : null;
    if (older && before === null) return;
    const id = ++seq;
    st.setExplorerStatus(true, null);
    try {
      const res = await call('tasks.search', before !== null ? { ...q.args, before } : q.args);
      if (id === seq) appStore.getState().setExplorerResults(res.rows, res.next, older);
    } catch (err) {
      if (id === seq) appStore.getState().setExplorerStatus(false, (err as Error).message);
    }
  }, []);
}
