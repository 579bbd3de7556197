import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { createAppStore, type AppState } from '../store/appStore.js';
import { parseViewHash } from '../lib/shortcuts.js';

const fromHash = parseViewHash(location.hash);

/** The single store of the page. */
export const appStore = createAppStore({ view: fromHash?.view ?? 'overview', traceId: fromHash?.traceId ?? null });

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, selector);
}

/** For selectors that build a new object or array each time: compares its members instead. */
export function useAppShallow<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, useShallow(selector));
}
