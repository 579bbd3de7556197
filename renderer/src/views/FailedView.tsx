import { useEffect, useState } from 'react';
import { call } from '../api/droneApi.js';
import { useAction } from '../hooks/useAction.js';
import { useAppShallow } from '../hooks/useApp.js';
import { FAILED_PAGE, useFailedTasks } from '../hooks/useFailedTasks.js';
import { plural } from '../lib/format.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { EmptyState } from '../components/EmptyState.js';
import { FailedRow } from '../components/FailedRow.js';

type Bulk = 'failed.retry' | 'failed.delete';

export function FailedView() {
  const types = useAppShallow((s) => s.snapshot?.drone?.types.map((t) => t.type) ?? []);
  const [typeText, setTypeText] = useState('');
  const [type, setType] = useState('');
  const list = useFailedTasks(type);
  const [message, setMessage] = useState<string | null>(null);

  useEffect(() => {
    const t = window.setTimeout(() => setType(typeText.trim()), 300);
    return () => window.clearTimeout(t);
  }, [typeText]);

  const [runOne, one] = useAction(async (method: Bulk, id: string) => {
    const res = await call(method, { ids: [id] });
    list.forget([id]);
    setMessage(`${method === 'failed.retry' ? 'Retried' : 'Deleted'} task ${id}${res.count === 0 ? ' (it was no longer failed)' : ''}.`);
    list.refresh();
  });
  const [runAll, all] = useAction(async (method: Bulk) => {
    const res = await call(method, type ? { all: true, type } : { all: true });
    setMessage(`${method === 'failed.retry' ? 'Retried' : 'Deleted'} ${plural(res.count, 'failed task')}${type ? ` of type ${type}` : ''}.`);
    list.refresh();
  });
  const busy = one.pending || all.pending;
  const scope = type ? `every failed task of type "${type}"` : 'every failed task, of all types';
  const error = one.error ?? all.error ?? list.error;

  return (
    <section className="card" aria-labelledby="failed-title">
      <div className="card-head">
        <h2 id="failed-title">Failed tasks</h2>
        <span className="muted">{list.loading ? 'loading…' : `${list.items.length}${list.hasMore ? '+' : ''} shown · refreshes every 5 s`}</span>
      </div>
      <div className="filters">
        <label className="field">
          <span>Type</span>
          <input
            type="text"
            list="failed-type-options"
            value={typeText}
            onChange={(e) => setTypeText(e.target.value)}
            placeholder="all types"
            spellCheck={false}
            data-testid="failed-filter-type"
          />
          <datalist id="failed-type-options">
            {types.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <ConfirmButton
          label={type ? `Retry all of ${type}` : 'Retry all'}
          question={`Retry ${scope}?`}
          confirmLabel="Yes, retry"
          onConfirm={() => void runAll('failed.retry')}
          disabled={busy || list.items.length === 0}
          testId="failed-retry-all"
        />
        <ConfirmButton
          label={type ? `Delete all of ${type}` : 'Delete all'}
          question={`Delete ${scope}? This cannot be undone.`}
          confirmLabel="Yes, delete"
          onConfirm={() => void runAll('failed.delete')}
          disabled={busy || list.items.length === 0}
          danger
          testId="failed-delete-all"
        />
        <button type="button" className="btn" onClick={list.refresh} disabled={list.loading}>
          Refresh now
        </button>
      </div>
      {message && (
        <p className="ok-text" role="status" data-testid="failed-message">
          {message}
        </p>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {list.items.length === 0 && !list.loading && !list.error ? (
        <EmptyState title={type ? `No failed tasks of type ${type}` : 'No failed tasks'} testId="failed-empty">
          <p>Tasks that used up their attempts show here with their error, to retry or delete.</p>
        </EmptyState>
      ) : (
        <ul className="failed-list" data-testid="failed-list">
          {list.items.map((t) => (
            <FailedRow key={t.id} task={t} busy={busy} onRetry={(id) => void runOne('failed.retry', id)} onDelete={(id) => void runOne('failed.delete', id)} />
          ))}
        </ul>
      )}
      {list.hasMore && (
        <button type="button" className="btn" onClick={list.loadMore} disabled={list.loading} data-testid="failed-load-more">
          Load {FAILED_PAGE} more
        </button>
      )}
    </section>
  );
}
