import type { TaskRow } from '../../../core/api/contract.js';
import { formatDateTime, formatDuration } from '../lib/format.js';
import { appStore } from '../hooks/useApp.js';

/** Tasks of this drone (one row per trace); a row opens its trace. */
export function TaskTable({ rows, compact, testId = 'task-table' }: { rows: readonly TaskRow[]; compact?: boolean; testId?: string }) {
  return (
    <table className={compact ? 'table task-table compact' : 'table task-table'} data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">Type</th>
          <th scope="col">State</th>
          {!compact && (
            <th scope="col" className="num">
              Steps
            </th>
          )}
          {!compact && <th scope="col">Created</th>}
          <th scope="col" className="num">
            Took
          </th>
          {!compact && <th scope="col">Error</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.traceId} className="clickable" onClick={() => appStore.getState().openTrace(r.traceId)} data-testid={`task-row-${r.traceId}`}>
            <th scope="row" className="mono">
              <button
                type="button"
                className="btn link bare mono"
                onClick={(e) => (e.stopPropagation(), appStore.getState().openTrace(r.traceId))}
                data-testid={`task-open-${r.traceId}`}
              >
                {r.traceId}
              </button>
            </th>
            <td className="mono">{r.type === r.lastType ? r.type : `${r.type} → ${r.lastType}`}</td>
            <td>
              <span className={`pill tstate-${r.state}`}>{r.state}</span>
            </td>
            {!compact && <td className="num">{r.steps}</td>}
            {!compact && <td className="mono small-text">{formatDateTime(r.createdAt)}</td>}
            <td className="num">{r.finishedAt !== null ? formatDuration(r.finishedAt - r.createdAt) : <span className="muted">—</span>}</td>
            {!compact && (
              <td className="last-exit" title={r.error ?? undefined}>
                {r.error ?? <span className="muted">—</span>}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
