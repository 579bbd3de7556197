import { useEffect, useRef, useState } from 'react';
import type { GlobalTask, TaskLookup } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useAction } from '../hooks/useAction.js';
import { appStore, useApp } from '../hooks/useApp.js';
import { usePoll } from '../hooks/usePoll.js';
import { errorWithStack, formatDateTime, formatDuration, formatTimeOfDay, prettyJsonText } from '../lib/format.js';
import { inTime } from '../lib/queue.js';
import { ConfirmButton } from './ConfirmButton.js';
import { Outcome } from './Outcome.js';
import { TaskIdForm } from './TaskIdForm.js';

const LOOKUP_REFRESH_MS = 2000;

/** "Find task by id": where a task is on the whole queue, what became of it, and what can be done. */
export function TaskFinder({ now }: { now: number }) {
  const lookupId = useApp((s) => s.lookupId);
  const card = useRef<HTMLElement>(null);
  // A task id clicked in a list further down shows up here: bring it into view.
  useEffect(() => {
    if (lookupId) card.current?.scrollIntoView({ block: 'nearest' });
  }, [lookupId]);
  return (
    <section className="card" ref={card} aria-label="Find task by id" data-testid="task-finder">
      <TaskIdForm
        label="Find task by id"
        submitLabel="Find"
        current={lookupId}
        onSubmit={(id) => appStore.getState().lookUp(id)}
        className="row finder-form"
        testId="lookup-input"
        submitTestId="lookup-submit"
      >
        {lookupId && (
          <button type="button" className="btn" onClick={() => appStore.getState().lookUp(null)} data-testid="lookup-clear">
            Close
          </button>
        )}
      </TaskIdForm>
      {lookupId && <LookupResult id={lookupId} now={now} />}
    </section>
  );
}

function LookupResult({ id, now }: { id: string; now: number }) {
  const r = usePoll(id, () => call('tasks.lookup', { id }), LOOKUP_REFRESH_MS);
  if (r.error) return <Outcome error={r.error} />;
  if (!r.data) return <p className="muted">Looking task {id} up…</p>;
  return <LookupDetails lookup={r.data} now={now} refresh={r.refresh} />;
}

/** Where the task is, in one line: on the queue in a state, finished with a trace here, or nowhere. */
function whereText(l: TaskLookup): string {
  if (l.global) return 'on the global queue';
  if (l.trace) return 'finished: no longer on the global queue; this drone kept its trace';
  if (l.postbacks.length > 0) return 'finished: no longer on the global queue; its result is posted back';
  return 'nowhere';
}

function LookupDetails({ lookup: l, now, refresh }: { lookup: TaskLookup; now: number; refresh: () => void }) {
  const g = l.global;
  const [message, setMessage] = useState<string | null>(null);
  const [act, action] = useAction(async (what: 'cancel' | 'runNow' | 'retry' | 'delete') => {
    const ids = [l.id];
    const res =
      what === 'cancel'
        ? await call('tasks.cancel', { ids })
        : what === 'runNow'
          ? await call('tasks.runNow', { ids })
          : await call(what === 'retry' ? 'failed.retry' : 'failed.delete', { ids });
    const done = { cancel: 'Cancelled', runNow: 'Made due now:', retry: 'Retried', delete: 'Deleted' }[what];
    setMessage(res.count > 0 ? `${done} task ${l.id}.` : `Nothing done: task ${l.id} is no longer in a state where that applies.`);
    refresh();
  });
  useEffect(() => setMessage(null), [l.id]);
  const waiting = g?.state === 'available' || g?.state === 'scheduled';
  return (
    <div className="lookup" data-testid="lookup-result">
      <div className="card-head">
        <h3>
          Task <span className="mono">{l.id}</span>{' '}
          {g ? (
            <span className={`pill gstate-${g.state}`} data-testid="lookup-state">
              {g.state}
            </span>
          ) : (
            <span className="pill" data-testid="lookup-state">
              {l.trace || l.postbacks.length > 0 ? 'finished' : 'not found'}
            </span>
          )}
        </h3>
        <span className="muted small-text">{whereText(l)}</span>
      </div>
      {l.note && (
        <p className="warn-box small-text" data-testid="lookup-note">
          {l.note}
        </p>
      )}
      {g && <GlobalFacts task={g} now={now} />}
      <Links lookup={l} />
      {g?.error && (
        <>
          <h4 className="bad-text">Last error</h4>
          <pre className="pre bad-text" data-testid="lookup-error-text">
            {errorWithStack(g.error, g.stack)}
          </pre>
        </>
      )}
      {g && (
        <>
          <h4>Data</h4>
          <pre className="pre" data-testid="lookup-data">
            {prettyJsonText(g.data)}
          </pre>
        </>
      )}
      {g && (
        <div className="controls">
          {waiting && (
            <ConfirmButton
              label="Cancel task"
              question={`Cancel task ${l.id}? It is deleted from the queue and never runs.`}
              confirmLabel="Yes, cancel it"
              onConfirm={() => void act('cancel')}
              disabled={action.pending}
              danger
              testId="lookup-cancel"
            />
          )}
          {g.state === 'scheduled' && (
            <button type="button" className="btn" onClick={() => void act('runNow')} disabled={action.pending} data-testid="lookup-run-now">
              Run now
            </button>
          )}
          {g.state === 'failed' && (
            <>
              <button type="button" className="btn" onClick={() => void act('retry')} disabled={action.pending} data-testid="lookup-retry">
                Retry
              </button>
              <ConfirmButton
                label="Delete"
                question={`Delete failed task ${l.id}? This cannot be undone.`}
                confirmLabel="Yes, delete"
                onConfirm={() => void act('delete')}
                disabled={action.pending}
                danger
                testId="lookup-delete"
              />
            </>
          )}
          {g.state === 'claimed' && <span className="muted small-text">A claimed task runs on its drone: it cannot be cancelled from here.</span>}
        </div>
      )}
      <Outcome message={message} error={action.error} small testId="lookup-message" />
    </div>
  );
}

function GlobalFacts({ task: g, now }: { task: GlobalTask; now: number }) {
  return (
    <dl className="facts">
      <div>
        <dt>Type</dt>
        <dd className="mono" data-testid="lookup-type">
          {g.type}
        </dd>
      </div>
      <div>
        <dt>Attempts</dt>
        <dd data-testid="lookup-attempts">
          {g.attempts} of {g.maxAttempts}
        </dd>
      </div>
      <div>
        <dt>Run at</dt>
        <dd data-testid="lookup-run-at">
          {formatDateTime(g.runAt)} <span className="muted">{g.runAt > now ? `(${inTime(g.runAt - now)})` : `(${formatDuration(now - g.runAt)} ago)`}</span>
        </dd>
      </div>
      <div>
        <dt>Claimed by</dt>
        <dd data-testid="lookup-claimed-by">
          {g.claimedBy ? (
            <>
              <button type="button" className="btn link bare mono" onClick={() => appStore.getState().openDrone(g.claimedBy)}>
                {g.claimedBy}
              </button>
              {g.leaseUntil && <span className="muted"> · lease until {formatTimeOfDay(g.leaseUntil)}</span>}
            </>
          ) : (
            <span className="muted">—</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Priority</dt>
        <dd>{g.priority}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{formatDateTime(g.createdAt)}</dd>
      </div>
      {g.postback && (
        <div>
          <dt>Posts its result back as</dt>
          <dd className="mono">{g.postback}</dd>
        </div>
      )}
      {g.failedAt && (
        <div>
          {/* A task back on the queue after a failed attempt (a retry, a rescued lease) still says when that attempt failed. */}
          <dt>{g.state === 'failed' ? 'Failed' : 'Last attempt failed'}</dt>
          <dd>{formatDateTime(g.failedAt)}</dd>
        </div>
      )}
    </dl>
  );
}

/** The trace of the task here, and the chain around it: the task it answers, the postbacks that carry its result. */
function Links({ lookup: l }: { lookup: TaskLookup }) {
  if (!l.trace && !l.answers && l.postbacks.length === 0 && l.answeredBy.length === 0) return null;
  const look = (id: string) => appStore.getState().lookUp(id);
  return (
    <ul className="lookup-links small-text">
      {l.trace && (
        <li>
          This drone ran it:{' '}
          <button type="button" className="btn link bare" onClick={() => appStore.getState().openTrace(l.id)} data-testid="lookup-trace">
            open its trace ({l.trace.steps.length} step{l.trace.steps.length === 1 ? '' : 's'})
          </button>
        </li>
      )}
      {l.answers && (
        <li>
          A postback: it carries the result of task{' '}
          <button type="button" className="btn link bare mono" onClick={() => look(l.answers!)} data-testid="lookup-answers">
            {l.answers}
          </button>
        </li>
      )}
      {l.postbacks.length > 0 && (
        <li>
          Its result, posted back:{' '}
          {l.postbacks.map((p, i) => (
            <span key={p.id}>
              {i > 0 && ', '}
              <button type="button" className="btn link bare mono" onClick={() => look(p.id)} data-testid={`lookup-postback-${p.id}`}>
                {p.id}
              </button>{' '}
              <span className="muted">
                ({p.type}, {p.state})
              </span>
            </span>
          ))}
        </li>
      )}
      {l.answeredBy.length > 0 && (
        <li>
          Its result went on as task{l.answeredBy.length === 1 ? '' : 's'}{' '}
          {l.answeredBy.map((id, i) => (
            <span key={id}>
              {i > 0 && ', '}
              <button type="button" className="btn link bare mono" onClick={() => look(id)} data-testid={`lookup-answered-by-${id}`}>
                {id}
              </button>
            </span>
          ))}{' '}
          <span className="muted">(ran in this drone)</span>
        </li>
      )}
    </ul>
  );
}
