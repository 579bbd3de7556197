import { useEffect, useRef, useState } from 'react';
import type { FailedTask, FailureGroup } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useAction } from '../hooks/useAction.js';
import { useKeysetList } from '../hooks/useKeysetList.js';
import { formatCount, formatDateTime, formatDuration, plural } from '../lib/format.js';
import { groupScope, groupSelection, type FailureFilter } from '../lib/failures.js';
import { ConfirmButton } from './ConfirmButton.js';
import { FailedRow } from './FailedRow.js';
import { Outcome } from './Outcome.js';

const PAGE = 50;
const MAX_LIMIT = 1000;

type Bulk = 'failed.retry' | 'failed.delete';

interface Props {
  /** Its place in the list, 1 for the most frequent cause: the test ids' number. */
  n: number;
  group: FailureGroup;
  filter: FailureFilter;
  now: number;
  /** After an action: what was done, to say, and the groups to read again. */
  onDone: (message: string) => void;
  /** The cause a desktop notification pointed at: shown open, scrolled to, marked. */
  focused?: boolean;
}

/** One cause of failure: what and where, how often and since when; retry or delete all its tasks, or open them. */
export function FailureGroupItem({ n, group: g, filter, now, onDone, focused = false }: Props) {
  const [open, setOpen] = useState(focused);
  const item = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (!focused) return;
    setOpen(true);
    item.current?.scrollIntoView({ block: 'nearest' });
  }, [focused]);
  const [runAll, all] = useAction(async (method: Bulk) => {
    const res = await call(method, { all: true, ...groupSelection(g.group, filter, Date.now()) });
    onDone(`${method === 'failed.retry' ? 'Retried' : 'Deleted'} ${plural(res.count, 'failed task')} with the cause "${g.title}".`);
  });
  const scope = groupScope(g, filter);
  return (
    <li ref={item} className={focused ? 'failure-group focused' : 'failure-group'} data-testid={`failure-group-${n}`} data-group={g.group}>
      <div className="failure-head">
        <span className="failure-count" data-testid={`failure-group-count-${n}`} title="failed tasks with this cause">
          {formatCount(g.count)}
        </span>
        <div className="failure-what">
          <div className="failure-title mono" data-testid={`failure-title-${n}`} title={g.sampleError}>
            {g.title || '(no message)'}
          </div>
          <div className="muted small-text">
            {g.frame ? (
              <>
                at <span className="mono">{g.frame}</span> ·{' '}
              </>
            ) : null}
            {g.types.length === 1 ? 'type ' : 'types '}
            {g.types.map((t, i) => (
              <span key={t}>
                {i > 0 && ', '}
                <span className="mono">{t}</span>
              </span>
            ))}
          </div>
          <div className="muted small-text" data-testid={`failure-seen-${n}`}>
            first {formatDateTime(g.firstSeen)} · last {formatDateTime(g.lastSeen)} ({formatDuration(Math.max(0, now - g.lastSeen))} ago)
          </div>
        </div>
        <div className="row-actions">
          <button type="button" className="btn" aria-expanded={open} onClick={() => setOpen(!open)} data-testid={`failure-open-${n}`}>
            {open ? 'Close' : 'Open'}
          </button>
          <ConfirmButton
            label="Retry all"
            question={`Retry ${scope}?`}
            confirmLabel="Yes, retry"
            onConfirm={() => void runAll('failed.retry')}
            disabled={all.pending}
            testId={`failure-retry-all-${n}`}
          />
          <ConfirmButton
            label="Delete all"
            question={`Delete ${scope}? This cannot be undone.`}
            confirmLabel="Yes, delete"
            onConfirm={() => void runAll('failed.delete')}
            disabled={all.pending}
            danger
            testId={`failure-delete-all-${n}`}
          />
        </div>
      </div>
      <Outcome error={all.error} small />
      {open && <GroupTasks n={n} group={g} filter={filter} onDone={onDone} />}
    </li>
  );
}

/** The tasks of one cause, oldest first, a page at a time, each with its error, stack and data. */
function GroupTasks({ n, group: g, filter, onDone }: Omit<Props, 'now'>) {
  const list = useKeysetList<FailedTask>(
    JSON.stringify([g.group, filter]),
    async (after, limit) => {
      const rows = await call('failed.list', { ...groupSelection(g.group, filter, Date.now()), afterId: after, limit });
      return { items: rows, next: rows.length === limit ? rows[rows.length - 1].id : null };
    },
    { page: PAGE, maxLimit: MAX_LIMIT, follow: g.count },
  );
  const [runOne, one] = useAction(async (method: Bulk, id: string) => {
    const res = await call(method, { ids: [id] });
    list.forget([id]);
    onDone(`${method === 'failed.retry' ? 'Retried' : 'Deleted'} task ${id}${res.count === 0 ? ' (it was no longer failed)' : ''}.`);
  });
  return (
    <div className="failure-tasks">
      <Outcome error={list.error ?? one.error} small />
      <ul className="failed-list" data-testid={`failure-tasks-${n}`}>
        {list.items.map((t) => (
          <FailedRow
            key={t.id}
            task={t}
            busy={one.pending}
            onRetry={(id) => void runOne('failed.retry', id)}
            onDelete={(id) => void runOne('failed.delete', id)}
          />
        ))}
      </ul>
      {list.loading && list.items.length === 0 && <p className="muted small-text">loading…</p>}
      {list.hasMore && (
        <button type="button" className="btn more" onClick={list.loadMore} disabled={list.loading} data-testid={`failure-load-more-${n}`}>
          Load {PAGE} more
        </button>
      )}
    </div>
  );
}
