import { appStore, useApp } from '../hooks/useApp.js';
import { useQueueOverview } from '../hooks/useQueueOverview.js';
import { plural } from '../lib/format.js';
import { fleetSummary } from '../lib/queue.js';
import { EmptyState } from '../components/EmptyState.js';
import { Outcome } from '../components/Outcome.js';
import { QueueTable } from '../components/QueueTable.js';
import { QueueTypeTasks } from '../components/QueueTypeTasks.js';
import { TaskFinder } from '../components/TaskFinder.js';

/** The whole global queue: every type of every drone, who serves it, its tasks, and any task by id. */
export function QueueView() {
  const o = useQueueOverview();
  const queueType = useApp((s) => s.queueType);
  const overview = o.data;
  const unserved = overview?.types.filter((t) => t.unserved) ?? [];
  const open = overview?.types.find((t) => t.type === queueType) ?? null;
  return (
    <div className="view-stack">
      {unserved.length > 0 && (
        <div className="banner banner-error" role="alert" data-testid="queue-unserved-banner">
          <span>
            <strong>
              {plural(unserved.length, 'type has', 'types have')} due tasks and no live drone serving {unserved.length === 1 ? 'it' : 'them'}:
            </strong>{' '}
            <span className="mono">{unserved.map((t) => t.type).join(', ')}</span>. They pile up until a drone with a worker for{' '}
            {unserved.length === 1 ? 'it' : 'them'} runs.
          </span>
        </div>
      )}
      <TaskFinder now={o.now} />
      <section className="card" aria-labelledby="queue-title">
        <div className="card-head">
          <h2 id="queue-title">Global queue</h2>
          <span className="muted small-text" data-testid="queue-summary">
            {overview ? (
              <>
                {plural(overview.types.length, 'type')} ·{' '}
                <button type="button" className="btn link bare" onClick={() => appStore.getState().setView('fleet')}>
                  {fleetSummary(overview.drones)}
                </button>{' '}
                · refreshes every 2 s
              </>
            ) : (
              'loading…'
            )}
          </span>
        </div>
        <Outcome error={o.error} />
        {overview && overview.types.length === 0 ? (
          <EmptyState title="The global queue is empty" testId="queue-empty">
            <p>Types appear here as soon as a task is enqueued or a drone serves them, whichever drone that is.</p>
          </EmptyState>
        ) : (
          overview && <QueueTable overview={overview} selected={queueType} />
        )}
        <p className="muted small-text">
          Available: due now. Scheduled: waiting for a later time (a delay, or a retry’s backoff). Claimed: held by drones. Click a type for its tasks.
        </p>
      </section>
      {open && <QueueTypeTasks key={open.type} row={open} now={o.now} />}
    </div>
  );
}
