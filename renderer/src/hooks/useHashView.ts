import { useEffect } from 'react';
import { isViewId } from '../lib/shortcuts.js';
import { appStore, useApp } from './useApp.js';

/** Mirrors the current view in the address (#/logs), so a reload or a shared link lands there. */
export function useHashView(): void {
  const view = useApp((s) => s.view);
  useEffect(() => {
    const want = `#/${view}`;
    if (location.hash !== want) history.replaceState(history.state, '', want);
  }, [view]);
  useEffect(() => {
    const onHash = () => {
      const id = location.hash.replace(/^#\/?/, '');
      if (isViewId(id)) appStore.getState().setView(id);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
}
