/**
 * The pipeline-debugging part of the store: the graph's selection, the task explorer's query and
 * results, the trace on screen, the debug sessions, and when each type last failed (for the graph).
 */
import type { DebugSession, TaskRow } from '../../../core/api/contract.js';
import { EMPTY_FORM, type ExplorerForm } from '../lib/explorerQuery.js';
import type { ViewId } from '../lib/shortcuts.js';

export type PipelineSelection = { kind: 'node' | 'edge'; id: string } | null;

export interface ExplorerState {
  form: ExplorerForm;
  rows: TaskRow[];
  /** Keyset for "Older"; null when there is nothing older. */
  next: number | null;
  loading: boolean;
  error: string | null;
  /** A search has run (an empty result then means "none", not "not asked yet"). */
  searched: boolean;
}

export interface DebugSlice {
  pipelineSelection: PipelineSelection;
  /** Last seen failed count per type, and when it last went up (the snapshot only has totals). */
  failedCounts: Record<string, number>;
  lastFailureAt: Record<string, number>;
  explorer: ExplorerState;
  traceId: string | null;
  debugSessions: Record<string, DebugSession>;

  selectInPipeline(selection: PipelineSelection): void;
  setExplorerForm(patch: Partial<ExplorerForm>): void;
  /** Results of a search: `append` for "Older" (the next page), else they replace the rows. */
  setExplorerResults(rows: TaskRow[], next: number | null, append: boolean): void;
  setExplorerStatus(loading: boolean, error: string | null): void;
  openTrace(traceId: string): void;
  setDebugSession(type: string, session: DebugSession | null): void;
}

type Set = (partial: Partial<DebugSlice> | ((s: DebugSlice) => Partial<DebugSlice>)) => void;

export const EMPTY_EXPLORER: ExplorerState = { form: EMPTY_FORM, rows: [], next: null, loading: false, error: null, searched: false };

export function debugSlice(set: Set, setView: (view: ViewId) => void): DebugSlice {
  return {
    pipelineSelection: null,
    failedCounts: {},
    lastFailureAt: {},
    explorer: EMPTY_EXPLORER,
    traceId: null,
    debugSessions: {},

    selectInPipeline: (pipelineSelection) => set({ pipelineSelection }),
    setExplorerForm: (patch) => set((s) => ({ explorer: { ...s.explorer, form: { ...s.explorer.form, ...patch } } })),
    setExplorerResults: (rows, next, append) =>
      set((s) => ({ explorer: { ...s.explorer, rows: append ? [...s.explorer.rows, ...rows] : rows, next, loading: false, error: null, searched: true } })),
    setExplorerStatus: (loading, error) => set((s) => ({ explorer: { ...s.explorer, loading, error } })),
    openTrace: (traceId) => {
      set({ traceId });
      setView('trace');
    },
    setDebugSession: (type, session) =>
      set((s) => {
        const debugSessions = { ...s.debugSessions };
        if (session) debugSessions[type] = session;
        else delete debugSessions[type];
        return { debugSessions };
      }),
  };
}
