import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { createAppStore, type AppState } from '../store/appStore.js';
import { isViewId } from '../lib/shortcuts.js';

const fromHash = location.hash.replace(/^#\/?/, '');

/** The single store of the page. */
export const appStore = createAppStore({ view: isViewId(fromHash) ? fromHash : 'overview' });

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, selector);
}

/** For selectors that build a new object or array each time: compares its members instead. */
export function useAppShallow<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, useShallow(selector));
}
