import { useState } from 'react';
import type { LogLine } from '../../../core/api/contract.js';
import { appStore, useApp } from '../hooks/useApp.js';
import { isFiltering } from '../lib/logFilter.js';
import { LogDetails } from '../components/LogDetails.js';
import { LogFilters } from '../components/LogFilters.js';
import { LogList } from '../components/LogList.js';

export function LogsView() {
  const [selected, setSelected] = useState<LogLine | null>(null);
  useApp((s) => s.logsVersion);
  const view = useApp((s) => s.logs);
  const buffer = useApp((s) => s.logBuffer);
  const filtering = useApp((s) => isFiltering(s.logFilter));

  return (
    <div className="logs-view">
      <LogFilters />
      <div className="logs-meta muted" aria-live="off">
        <span data-testid="log-count">{filtering ? `${view.length} of ${buffer.size} lines match` : `${buffer.size} lines`}</span>
        <span> (newest {buffer.capacity.toLocaleString('en-US')} kept)</span>
        <button type="button" className="btn small link" onClick={() => appStore.getState().clearLogs()}>
          Clear
        </button>
      </div>
      <LogList
        selected={selected}
        onSelect={(l) => setSelected((cur) => (cur === l ? null : l))}
        emptyText={buffer.size === 0 ? 'No log lines yet. They appear here as the drone and its workers write them.' : 'No line matches these filters.'}
      />
      {selected && <LogDetails line={selected} onClose={() => setSelected(null)} />}
    </div>
  );
}
