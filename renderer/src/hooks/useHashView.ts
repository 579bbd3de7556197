import { useEffect } from 'react';
import { parseViewHash, viewHash } from '../lib/shortcuts.js';
import { appStore, useApp } from './useApp.js';

/** Mirrors the current view in the address (#/logs), so a reload or a shared link lands there. */
export function useHashView(): void {
  const view = useApp((s) => s.view);
  const traceId = useApp((s) => s.traceId);
  useEffect(() => {
    const want = viewHash(view, traceId);
    if (location.hash !== want) history.replaceState(history.state, '', want);
  }, [view, traceId]);
  useEffect(() => {
    const onHash = () => {
      const to = parseViewHash(location.hash);
      if (!to) return;
      if (to.traceId) appStore.getState().openTrace(to.traceId);
      else appStore.getState().setView(to.view);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
}
