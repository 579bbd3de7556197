import type { FleetDrone } from '../../../core/api/contract.js';
import { appStore } from '../hooks/useApp.js';
import { BROWSE_PAGE, useTaskBrowse } from '../hooks/useTaskBrowse.js';
import { plural } from '../lib/format.js';
import { claimsReturnText } from '../lib/queue.js';
import { EmptyState } from './EmptyState.js';
import { GlobalTaskTable } from './GlobalTaskTable.js';
import { Outcome } from './Outcome.js';

/** One drone of the fleet: the types it serves (each opens in Queue) and the tasks it holds. */
export function DroneHolds({ drone: d, now }: { drone: FleetDrone; now: number }) {
  const list = useTaskBrowse({ state: 'claimed', claimedBy: d.id }, d.held);
  const returning = claimsReturnText(d, now);
  return (
    <section className="card" aria-labelledby="drone-holds-title" data-testid="fleet-detail">
      <div className="card-head">
        <h2 id="drone-holds-title">
          Drone <span className="mono">{d.id}</span>
        </h2>
        <button type="button" className="btn small" onClick={() => appStore.getState().openDrone(null)}>
          Close
        </button>
      </div>
      <h4>Serves</h4>
      {d.types.length === 0 ? (
        <p className="muted">no types</p>
      ) : (
        <div className="chips" data-testid="fleet-detail-types">
          {d.types.map((t) => (
            <button key={t} type="button" className="chip" onClick={() => appStore.getState().openQueueType(t)} title={`The tasks of ${t} on the queue`}>
              {t}
            </button>
          ))}
        </div>
      )}
      <h4>Holds {plural(d.held, 'task')}</h4>
      {returning && <p className="warn-box small-text">{returning}</p>}
      <Outcome error={list.error} />
      {list.items.length === 0 && !list.loading ? (
        <EmptyState title="It holds no task" testId="fleet-detail-empty" />
      ) : (
        <GlobalTaskTable tasks={list.items} now={now} showType testId="fleet-held-tasks" />
      )}
      {list.hasMore && (
        <button type="button" className="btn more" onClick={list.loadMore} disabled={list.loading} data-testid="fleet-load-more">
          Load {BROWSE_PAGE} more
        </button>
      )}
    </section>
  );
}
