import { createStore, type StoreApi } from 'zustand/vanilla';
import type { LogLine, Snapshot } from '../../../core/api/contract.js';
import { LogBuffer, LOG_CAPACITY } from '../lib/logBuffer.js';
import { LogView, NO_FILTER, type LogFilter } from '../lib/logFilter.js';
import type { ConnectionState } from '../lib/transport.js';
import type { ViewId } from '../lib/shortcuts.js';
import { trackFailures } from '../lib/pipeline.js';
import { debugSlice, type DebugSlice } from './debugSlice.js';
import { queueSlice, type QueueSlice } from './queueSlice.js';
import type { ProfileSlice } from './profileSlice.js';

export interface TypeSeries {
  /** Tasks finished in each of the last 60 seconds, oldest first. */
  history: number[];
  rate: number;
}

export interface AppState extends DebugSlice, QueueSlice, ProfileSlice {
  view: ViewId;
  helpOpen: boolean;
  connection: ConnectionState;
  snapshot: Snapshot | null;
  /** Last known series per type; kept while the drone restarts, so sparklines do not blink out. */
  series: Record<string, TypeSeries>;
  /**
   * The log lines live in a mutable ring (copying 100,000 lines a few times a second would not do);
   * `logsVersion` changes whenever it or the filtered view changes, which is what components watch.
   */
  logBuffer: LogBuffer;
  logs: LogView;
  logsVersion: number;
  logFilter: LogFilter;

  setView(view: ViewId): void;
  setHelpOpen(open: boolean): void;
  setConnection(state: ConnectionState): void;
  applySnapshot(snapshot: Snapshot): void;
  appendLogs(lines: readonly LogLine[]): void;
  setLogFilter(patch: Partial<LogFilter>): void;
  clearLogs(): void;
}

export type AppStore = StoreApi<AppState>;

export function createAppStore(opts: { logCapacity?: number; view?: ViewId; traceId?: string | null } = {}): AppStore {
  const logBuffer = new LogBuffer(opts.logCapacity ?? LOG_CAPACITY);
  const logs = new LogView(logBuffer, NO_FILTER);

  return createStore<AppState>()((set, get) => ({
    ...debugSlice(set, (view) => set({ view })),
    ...queueSlice(set, (view) => set({ view })),
    view: opts.view ?? 'overview',
    traceId: opts.traceId ?? null,
    helpOpen: false,
    connection: { status: 'connecting', attempt: 0 },
    snapshot: null,
    series: {},
    logBuffer,
    logs,
    logsVersion: 0,
    logFilter: NO_FILTER,
    profiles: null,
    profile: null,
    addingProfile: false,
    focusGroup: null,

    setProfiles: (profiles) => set({ profiles }),
    selectProfile: (profile) => {
      if (profile === get().profile) return;
      // The previous drone's numbers must not show under the new one's name.
      get().logBuffer.reset();
      get().logs.reset();
      set((s) => ({ profile, addingProfile: false, snapshot: null, series: {}, failedCounts: {}, lastFailureAt: {}, logsVersion: s.logsVersion + 1 }));
    },
    setAddingProfile: (addingProfile) => set({ addingProfile }),
    navigate: (to) => {
      if (to.profile) get().selectProfile(to.profile);
      if (to.view === 'add-profile') set({ addingProfile: true });
      else set({ view: to.view, addingProfile: false, focusGroup: to.group ?? null });
    },

    setView: (view) => set({ view, addingProfile: false }),
    setHelpOpen: (helpOpen) => set({ helpOpen }),
    setConnection: (connection) => set({ connection }),

    applySnapshot: (snapshot) => {
      const types = snapshot.drone?.types;
      if (!types) {
        set({ snapshot });
        return;
      }
      const series: Record<string, TypeSeries> = {};
      for (const t of types) series[t.type] = { history: t.history, rate: t.rate };
      const failures = trackFailures(get().failedCounts, get().lastFailureAt, types, Date.now());
      set({ snapshot, series, failedCounts: failures.failed, ...(failures.changed ? { lastFailureAt: failures.lastFailureAt } : {}) });
    },

    appendLogs: (lines) => {
      if (lines.length === 0) return;
      const added = get().logBuffer.append(lines);
      if (added === 0) return;
      get().logs.sync();
      set((s) => ({ logsVersion: s.logsVersion + 1 }));
    },

    setLogFilter: (patch) => {
      const current = get().logFilter;
      const logFilter = { ...current, ...patch };
      if ((Object.keys(logFilter) as (keyof LogFilter)[]).every((k) => logFilter[k] === current[k])) return;
      get().logs.setFilter(logFilter);
      set((s) => ({ logFilter, logsVersion: s.logsVersion + 1 }));
    },

    clearLogs: () => {
      get().logBuffer.clear();
      get().logs.reset();
      set((s) => ({ logsVersion: s.logsVersion + 1 }));
    },
  }));
}
