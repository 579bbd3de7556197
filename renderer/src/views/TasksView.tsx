import { useEffect } from 'react';
import { appStore, useApp, useAppShallow } from '../hooks/useApp.js';
import { useExplorerSearch } from '../hooks/useExplorer.js';
import { EMPTY_FORM, TASK_STATES, WHERE_OPS, type ExplorerForm } from '../lib/explorerQuery.js';
import { EmptyState } from '../components/EmptyState.js';
import { TaskTable } from '../components/TaskTable.js';
import { TypeInput } from '../components/TypeInput.js';

/** The task explorer: this drone's recent tasks, searchable, paged by keyset. */
export function TasksView() {
  const explorer = useApp((s) => s.explorer);
  const types = useAppShallow((s) => s.snapshot?.drone?.types.map((t) => t.type) ?? []);
  const search = useExplorerSearch();
  const f = explorer.form;
  const set = (patch: Partial<ExplorerForm>) => appStore.getState().setExplorerForm(patch);
  // The first visit shows the newest tasks straight away.
  useEffect(() => {
    if (!appStore.getState().explorer.searched) void search();
  }, [search]);

  return (
    <div className="view-stack">
      <form
        className="card explorer-form"
        aria-labelledby="explorer-title"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <div className="card-head">
          <h2 id="explorer-title">Tasks of this drone</h2>
          <span className="muted small-text">completed, failed and running, newest first (kept for localQueue.history)</span>
        </div>
        <div className="row wrap">
          <label className="field">
            <span>Type</span>
            <TypeInput id="explorer-types" value={f.type} onChange={(type) => set({ type })} types={types} placeholder="any" testId="explorer-type" />
          </label>
          <label className="field">
            <span>State</span>
            <select value={f.state} onChange={(e) => set({ state: e.target.value as ExplorerForm['state'] })} data-testid="explorer-state">
              <option value="">any</option>
              {TASK_STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>From</span>
            <input type="datetime-local" step={1} value={f.from} onChange={(e) => set({ from: e.target.value })} data-testid="explorer-from" />
          </label>
          <label className="field">
            <span>To</span>
            <input type="datetime-local" step={1} value={f.to} onChange={(e) => set({ to: e.target.value })} data-testid="explorer-to" />
          </label>
          <label className="field">
            <span>Edge</span>
            <input
              type="text"
              value={f.edge}
              onChange={(e) => set({ edge: e.target.value })}
              placeholder="e.g. local:a>b"
              spellCheck={false}
              data-testid="explorer-edge"
            />
          </label>
        </div>
        <div className="row wrap">
          <label className="field grow">
            <span>Payload condition: JSON path</span>
            <input
              type="text"
              value={f.path}
              onChange={(e) => set({ path: e.target.value })}
              placeholder="$.user.id"
              spellCheck={false}
              className="mono"
              data-testid="explorer-path"
            />
          </label>
          <label className="field">
            <span>Operator</span>
            <select value={f.op} onChange={(e) => set({ op: e.target.value as ExplorerForm['op'] })} data-testid="explorer-op">
              {WHERE_OPS.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
          <label className="field grow">
            <span>Value (JSON, or text)</span>
            <input
              type="text"
              value={f.value}
              onChange={(e) => set({ value: e.target.value })}
              disabled={f.op === 'exists'}
              placeholder='42, true, "text"'
              spellCheck={false}
              className="mono"
              data-testid="explorer-value"
            />
          </label>
        </div>
        <div className="controls">
          <button type="submit" className="btn primary" disabled={explorer.loading} data-testid="explorer-search">
            Search
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => {
              appStore.getState().setExplorerForm(EMPTY_FORM);
              void search();
            }}
          >
            Clear
          </button>
          {explorer.loading && <span className="muted small-text">Searching…</span>}
          {explorer.error && (
            <span className="error-text" role="alert" data-testid="explorer-error">
              {explorer.error}
            </span>
          )}
        </div>
      </form>
      <section className="card" aria-label="Results">
        {explorer.rows.length > 0 ? (
          <TaskTable rows={explorer.rows} testId="explorer-rows" />
        ) : (
          // One search examines a bounded part of the history: "Older" goes on where it stopped.
          explorer.searched && (
            <EmptyState
              title={explorer.next !== null ? 'No match among the newest tasks searched: Older searches further back' : 'No tasks match'}
              testId="explorer-none"
            />
          )
        )}
        {explorer.next !== null && (
          <div className="controls">
            <button type="button" className="btn" disabled={explorer.loading} onClick={() => void search(true)} data-testid="explorer-older">
              Older
            </button>
            <span className="muted small-text">{explorer.rows.length} shown</span>
          </div>
        )}
      </section>
    </div>
  );
}
