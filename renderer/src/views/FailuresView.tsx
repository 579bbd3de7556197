import { useEffect, useMemo, useState } from 'react';
import { call } from '../api/droneApi.js';
import { useApp, useAppShallow } from '../hooks/useApp.js';
import { useNow } from '../hooks/useNow.js';
import { usePoll } from '../hooks/usePoll.js';
import { sinceOf, WINDOWS, type FailureFilter, type WindowId } from '../lib/failures.js';
import { plural } from '../lib/format.js';
import { EmptyState } from '../components/EmptyState.js';
import { FailureGroupItem } from '../components/FailureGroupItem.js';
import { Outcome } from '../components/Outcome.js';
import { TypeInput } from '../components/TypeInput.js';

const REFRESH_MS = 5000;

/** Failed tasks of every type on the global queue, grouped by cause (message and place), most frequent first. */
export function FailuresView() {
  const ownTypes = useAppShallow((s) => s.snapshot?.drone?.types.map((t) => t.type) ?? []);
  const focusGroup = useApp((s) => s.focusGroup);
  const [typeText, setTypeText] = useState('');
  const [filter, setFilter] = useState<FailureFilter>({ type: '', window: 'all' });
  const [message, setMessage] = useState<string | null>(null);
  const now = useNow(5000);

  useEffect(() => {
    const t = window.setTimeout(() => setFilter((f) => ({ ...f, type: typeText.trim() })), 300);
    return () => window.clearTimeout(t);
  }, [typeText]);

  const groups = usePoll(
    JSON.stringify(filter),
    () => call('failed.groups', { ...(filter.type ? { type: filter.type } : {}), since: sinceOf(filter.window, Date.now()) }),
    REFRESH_MS,
  );
  const list = groups.data;
  const total = list?.reduce((sum, g) => sum + g.count, 0) ?? 0;
  const typeOptions = useMemo(() => [...new Set([...ownTypes, ...(list ?? []).flatMap((g) => g.types)])].sort(), [ownTypes, list]);
  const done = (text: string) => {
    setMessage(text);
    groups.refresh();
  };

  return (
    <section className="card" aria-labelledby="failures-title">
      <div className="card-head">
        <h2 id="failures-title">Failures by cause</h2>
        <span className="muted small-text" data-testid="failures-summary">
          {list ? `${plural(list.length, 'cause')} · ${plural(total, 'failed task')} · refreshes every 5 s` : 'loading…'}
        </span>
      </div>
      <div className="filters">
        <label className="field">
          <span>Type</span>
          <TypeInput
            id="failures-type-options"
            value={typeText}
            onChange={setTypeText}
            types={typeOptions}
            placeholder="all types"
            testId="failures-filter-type"
          />
        </label>
        <label className="field">
          <span>Failed in</span>
          <select value={filter.window} onChange={(e) => setFilter((f) => ({ ...f, window: e.target.value as WindowId }))} data-testid="failures-filter-time">
            {WINDOWS.map((w) => (
              <option key={w.id} value={w.id}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="btn" onClick={groups.refresh} disabled={groups.loading}>
          Refresh now
        </button>
      </div>
      <Outcome message={message} error={groups.error} testId="failures-message" />
      {list && list.length === 0 ? (
        <EmptyState title={filter.type ? `No failed tasks of type ${filter.type}` : 'No failed tasks'} testId="failures-empty">
          <p>Tasks that used up their attempts show here grouped by cause — the error's message and where it was thrown — to retry or delete.</p>
        </EmptyState>
      ) : (
        <ol className="failure-groups" data-testid="failure-groups">
          {list?.map((g, i) => (
            <FailureGroupItem key={g.group} n={i + 1} group={g} filter={filter} now={now} onDone={done} focused={g.group === focusGroup} />
          ))}
        </ol>
      )}
    </section>
  );
}
