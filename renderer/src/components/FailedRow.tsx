import { useState } from 'react';
import type { FailedTask } from '../../../core/api/contract.js';
import { appStore } from '../hooks/useApp.js';
import { errorWithStack, formatDateTime, prettyJson } from '../lib/format.js';

interface Props {
  task: FailedTask;
  busy: boolean;
  onRetry: (id: string) => void;
  onDelete: (id: string) => void;
}

export function FailedRow({ task, busy, onRetry, onDelete }: Props) {
  const [open, setOpen] = useState(false);
  const firstLine = (task.lastError ?? 'no error recorded').split('\n')[0];
  return (
    <li className="failed-row" data-testid={`failed-row-${task.id}`}>
      <div className="failed-head">
        <button type="button" className="disclosure" aria-expanded={open} onClick={() => setOpen(!open)} aria-label={`Details of task ${task.id}`}>
          {open ? '▾' : '▸'}
        </button>
        <button
          type="button"
          className="btn link bare mono failed-id"
          onClick={() => appStore.getState().lookUp(task.id)}
          title="Look this task up in the Queue view"
        >
          #{task.id}
        </button>
        <span className="mono failed-type">{task.type}</span>
        <span className="failed-error error-text" title={task.lastError ?? undefined}>
          {firstLine}
        </span>
        <span className="muted num small-text" title="attempts / max attempts">
          {task.attempts}/{task.maxAttempts} attempts
        </span>
        <span className="muted small-text" title={`created ${formatDateTime(task.createdAt)}`}>
          {task.failedAt ? `failed ${formatDateTime(task.failedAt)}` : `created ${formatDateTime(task.createdAt)}`}
        </span>
        <span className="row-actions">
          <button type="button" className="btn small" disabled={busy} onClick={() => onRetry(task.id)} data-testid={`failed-retry-${task.id}`}>
            Retry
          </button>
          <button type="button" className="btn small danger" disabled={busy} onClick={() => onDelete(task.id)} data-testid={`failed-delete-${task.id}`}>
            Delete
          </button>
        </span>
      </div>
      {open && (
        <div className="failed-body">
          <h4>Error</h4>
          <pre className="pre bad-text" data-testid={`failed-error-${task.id}`}>
            {errorWithStack(task.lastError, task.lastErrorStack)}
          </pre>
          <h4>Data</h4>
          <pre className="pre" data-testid={`failed-data-${task.id}`}>
            {prettyJson(task.data)}
          </pre>
        </div>
      )}
    </li>
  );
}
