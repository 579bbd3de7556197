import { useEffect, useMemo, useState } from 'react';
import type { GlobalTaskState, QueueTypeRow } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useAction } from '../hooks/useAction.js';
import { appStore } from '../hooks/useApp.js';
import { BROWSE_PAGE, useTaskBrowse, type BrowseQuery } from '../hooks/useTaskBrowse.js';
import { formatCount, plural } from '../lib/format.js';
import { COUNT_KEYS } from '../lib/queue.js';
import { ConfirmButton } from './ConfirmButton.js';
import { EmptyState } from './EmptyState.js';
import { GlobalTaskTable } from './GlobalTaskTable.js';
import { Outcome } from './Outcome.js';

const EMPTY: Record<GlobalTaskState, string> = {
  available: 'No task of this type is due and waiting.',
  scheduled: 'No task of this type waits for a later time (a delay or a retry’s backoff).',
  claimed: 'No drone holds a task of this type.',
  failed: 'No task of this type has used up its attempts.',
};

/** One type's tasks by state, a page at a time; waiting ones can be cancelled, scheduled ones run now. */
export function QueueTypeTasks({ row, now }: { row: QueueTypeRow; now: number }) {
  const type = row.type;
  const [tab, setTab] = useState<GlobalTaskState>(() => COUNT_KEYS.find((k) => row[k] > 0) ?? 'available');
  // The list follows the queue: when the tab's count on the overview changes, it is read again.
  const query: BrowseQuery = tab === 'claimed' ? { state: 'claimed', type } : { state: tab, type };
  const list = useTaskBrowse(query, row[tab]);
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    setPicked(new Set());
    setMessage(null);
  }, [tab]);
  // Only what is on screen stays selected (a refresh may have taken rows away).
  const selected = useMemo(() => new Set(list.items.filter((t) => picked.has(t.id)).map((t) => t.id)), [list.items, picked]);
  const select = (ids: readonly string[], on: boolean) =>
    setPicked((cur) => {
      const next = new Set(cur);
      for (const id of ids)
        if (on) next.add(id);
        else next.delete(id);
      return next;
    });

  const [act, action] = useAction(async (what: 'cancel' | 'runNow') => {
    const ids = [...selected];
    const res = await call(what === 'cancel' ? 'tasks.cancel' : 'tasks.runNow', { ids });
    list.forget(what === 'cancel' ? ids : []);
    setPicked(new Set());
    const skipped = ids.length - res.count;
    setMessage(
      `${what === 'cancel' ? 'Cancelled' : 'Made due now:'} ${plural(res.count, 'task')}${skipped > 0 ? ` (${skipped} had already left this state)` : ''}.`,
    );
    list.refresh();
  });
  const waiting = tab === 'available' || tab === 'scheduled';
  const n = selected.size;

  return (
    <section className="card" aria-labelledby="type-tasks-title" data-testid="queue-type-tasks">
      <div className="card-head">
        <h2 id="type-tasks-title">
          Tasks of <span className="mono">{type}</span>
        </h2>
        <button type="button" className="btn small" onClick={() => appStore.getState().openQueueType(null)} data-testid="queue-type-close">
          Close
        </button>
      </div>
      <div className="tabs" role="tablist" aria-label="Tasks by state">
        {COUNT_KEYS.map((k) => (
          <button
            key={k}
            type="button"
            role="tab"
            aria-selected={tab === k}
            className={tab === k ? 'tab active' : 'tab'}
            onClick={() => setTab(k)}
            data-testid={`queue-tab-${k}`}
          >
            {k} <span className="tab-count">{formatCount(row[k])}</span>
          </button>
        ))}
      </div>
      <div className="controls">
        {waiting && (
          <ConfirmButton
            label={`Cancel selected${n ? ` (${n})` : ''}`}
            question={`Cancel ${plural(n, 'waiting task')} of type "${type}"? They are deleted from the queue and never run.`}
            confirmLabel="Yes, cancel them"
            onConfirm={() => void act('cancel')}
            disabled={n === 0 || action.pending}
            danger
            testId="queue-cancel-selected"
          />
        )}
        {tab === 'scheduled' && (
          <button type="button" className="btn" onClick={() => void act('runNow')} disabled={n === 0 || action.pending} data-testid="queue-run-now-selected">
            Run now{n ? ` (${n})` : ''}
          </button>
        )}
        {tab === 'failed' && (
          <span className="muted small-text">
            Retry or delete failed tasks by cause in{' '}
            <button type="button" className="btn link bare" onClick={() => appStore.getState().setView('failures')}>
              Failures
            </button>
            .
          </span>
        )}
        {tab === 'claimed' && (
          <span className="muted small-text">Claimed tasks run on their drones; a drone that dies gives them back when their lease ends.</span>
        )}
        <button type="button" className="btn" onClick={list.refresh} disabled={list.loading}>
          Refresh
        </button>
        {list.loading && <span className="muted small-text">loading…</span>}
      </div>
      <Outcome message={message} error={list.error ?? action.error} small testId="queue-type-message" />
      {list.items.length === 0 && !list.loading ? (
        <EmptyState title={EMPTY[tab]} testId="queue-type-empty" />
      ) : (
        <GlobalTaskTable
          tasks={list.items}
          now={now}
          selected={waiting ? selected : undefined}
          onSelect={waiting ? select : undefined}
          testId="queue-type-list"
        />
      )}
      {list.hasMore && (
        <button type="button" className="btn more" onClick={list.loadMore} disabled={list.loading} data-testid="queue-load-more">
          Load {BROWSE_PAGE} more
        </button>
      )}
    </section>
  );
}
