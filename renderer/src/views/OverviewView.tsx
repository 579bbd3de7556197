import { appStore, useApp } from '../hooks/useApp.js';
import { DroneCard } from '../components/DroneCard.js';
import { EmptyState } from '../components/EmptyState.js';
import { TypeTable } from '../components/TypeTable.js';

export function OverviewView() {
  const drone = useApp((s) => s.snapshot?.drone ?? null);
  const app = useApp((s) => s.snapshot?.app ?? null);

  if (!drone) {
    return (
      <EmptyState title={app?.state === 'error' ? 'The drone is not running' : 'Waiting for the drone…'} testId="overview-empty">
        {app?.state === 'error' ? (
          <>
            <p>{app.error}</p>
            <button type="button" className="btn" onClick={() => appStore.getState().setView('config')}>
              Open Config
            </button>
          </>
        ) : (
          <p>It appears here as soon as it has started.</p>
        )}
      </EmptyState>
    );
  }
  return (
    <div className="view-stack">
      <DroneCard drone={drone} />
      <section className="card" aria-labelledby="types-title">
        <div className="card-head">
          <h2 id="types-title">Task types</h2>
          <span className="muted">rate: tasks finished per second over the last 5 s</span>
        </div>
        {drone.types.length === 0 ? (
          <EmptyState title="No task types configured" testId="no-types">
            <p>
              This drone has no workers, so it claims nothing. Add a worker under <code>"workers"</code> in the configuration, e.g.{' '}
              <code>{'"resize": { "module": "./workers/resize.js" }'}</code>, and apply it.
            </p>
            <button type="button" className="btn" onClick={() => appStore.getState().setView('config')}>
              Open Config
            </button>
          </EmptyState>
        ) : (
          <TypeTable types={drone.types} />
        )}
      </section>
    </div>
  );
}
