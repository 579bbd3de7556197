import { useEffect } from 'react';
import { ShortcutReader } from '../lib/shortcuts.js';
import { appStore } from './useApp.js';

/** Keys typed into a field belong to the field. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}

export function useShortcuts(): void {
  useEffect(() => {
    const reader = new ShortcutReader();
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      const state = appStore.getState();
      // The first of the composed path: an editor in a shadow root shows the window only its host.
      if (isTyping(e.composedPath()[0] ?? e.target) && e.key !== 'Escape') return;
      const action = reader.feed(e.key, Date.now());
      if (!action) return;
      if (action.kind === 'view') {
        state.setView(action.view);
        state.setHelpOpen(false);
      } else if (action.kind === 'help') {
        state.setHelpOpen(!state.helpOpen);
      } else if (state.helpOpen) {
        state.setHelpOpen(false);
      } else {
        return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
