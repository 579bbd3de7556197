import { useEffect, useState } from 'react';
import type { LogLevel } from '../../../core/api/contract.js';
import { LEVELS, NO_FILTER, isFiltering } from '../lib/logFilter.js';
import { appStore, useApp, useAppShallow } from '../hooks/useApp.js';

const TYPING_DEBOUNCE_MS = 150;

/** Level, worker, task and text filters; typing is debounced so a 100,000-line rescan runs once per pause. */
export function LogFilters() {
  const filter = useApp((s) => s.logFilter);
  const workers = useAppShallow((s) => s.snapshot?.drone?.workers.map((w) => w.id) ?? []);
  const types = useAppShallow((s) => s.snapshot?.drone?.types.map((t) => t.type) ?? []);
  const [worker, setWorker] = useDebouncedField(filter.worker, 'worker');
  const [task, setTask] = useDebouncedField(filter.task, 'task');
  const [text, setText] = useDebouncedField(filter.text, 'text');
  const suggestions = [...new Set([...types, ...workers])];

  return (
    <div className="filters" role="search" aria-label="Filter log lines">
      <label className="field">
        <span>Level</span>
        <select value={filter.level} onChange={(e) => appStore.getState().setLogFilter({ level: e.target.value as LogLevel })} data-testid="log-filter-level">
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l === 'debug' ? 'all (debug and up)' : `${l} and up`}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Worker</span>
        <input
          type="text"
          list="log-worker-options"
          value={worker}
          placeholder="any"
          onChange={(e) => setWorker(e.target.value)}
          data-testid="log-filter-worker"
          spellCheck={false}
        />
        <datalist id="log-worker-options">
          {suggestions.map((w) => (
            <option key={w} value={w} />
          ))}
        </datalist>
      </label>
      <label className="field">
        <span>Task id</span>
        <input
          type="text"
          inputMode="numeric"
          value={task}
          placeholder="any"
          onChange={(e) => setTask(e.target.value)}
          data-testid="log-filter-task"
          spellCheck={false}
          className="narrow"
        />
      </label>
      <label className="field grow">
        <span>Text</span>
        <input
          type="search"
          value={text}
          placeholder="part of the message"
          onChange={(e) => setText(e.target.value)}
          data-testid="log-filter-text"
          spellCheck={false}
        />
      </label>
      <button
        type="button"
        className="btn"
        disabled={!isFiltering(filter)}
        onClick={() => {
          setWorker('');
          setTask('');
          setText('');
          appStore.getState().setLogFilter(NO_FILTER);
        }}
      >
        Reset filters
      </button>
    </div>
  );
}

/** Local text that follows the store's filter field but writes back only after a pause in typing. */
function useDebouncedField(stored: string, field: 'worker' | 'task' | 'text'): [string, (v: string) => void] {
  const [value, setValue] = useState(stored);
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (!dirty) setValue(stored);
  }, [stored, dirty]);
  useEffect(() => {
    if (!dirty) return;
    const t = window.setTimeout(() => {
      appStore.getState().setLogFilter({ [field]: value });
      setDirty(false);
    }, TYPING_DEBOUNCE_MS);
    return () => window.clearTimeout(t);
  }, [value, dirty, field]);
  return [
    value,
    (v) => {
      setValue(v);
      setDirty(true);
    },
  ];
}
