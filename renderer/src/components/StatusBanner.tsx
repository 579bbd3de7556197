import { retryText } from '../lib/backoff.js';
import type { DatabaseState } from '../../../core/api/contract.js';
import { databaseProblem, databaseState } from '../store/selectors.js';
import { appStore, useApp } from '../hooks/useApp.js';
import { useNow } from '../hooks/useNow.js';

/**
 * What keeps the drone from working, in words that say what to do: a config error, a start in
 * progress, a database that is unreachable, slow or refusing a statement. Shown above every view.
 */
export function StatusBanner() {
  const app = useApp((s) => s.snapshot?.app ?? null);
  const drone = useApp((s) => s.snapshot?.drone ?? null);
  const now = useNow(1000, app?.retryAt != null || drone?.database.retryAt != null);
  if (!app) return null;
  const retry = app.retryAt != null ? ` ${capitalise(retryText(app.retryAt, now))}.` : '';
  const goConfig = (
    <button type="button" className="btn small" onClick={() => appStore.getState().setView('config')}>
      Open Config
    </button>
  );

  if (app.state === 'error') {
    return (
      <div className="banner banner-error" role="alert" data-testid="app-error">
        <span>
          <strong>The drone is not running.</strong> {app.error ?? 'It stopped with an error.'}
          {retry}
          {app.configFile && <span className="muted"> Config: {app.configFile}. Fix it in Config and apply.</span>}
        </span>
        {goConfig}
      </div>
    );
  }
  if (app.state === 'starting' || app.state === 'restarting') {
    return (
      <div className="banner banner-info" role="status" data-testid="app-state-banner">
        <span>
          <strong>{app.state === 'starting' ? 'Starting the drone…' : 'Restarting the drone on the new configuration…'}</strong>
          {app.error && <span> {app.error}</span>}
          {retry}
        </span>
      </div>
    );
  }
  if (app.state === 'stopping' || app.state === 'stopped') {
    return (
      <div className="banner banner-warn" role="status" data-testid="app-state-banner">
        <strong>The drone is {app.state}.</strong> {app.error ?? ''}
      </div>
    );
  }
  const db = databaseProblem(drone);
  if (db && drone) {
    const dbRetry = retryText(drone.database.retryAt, now);
    return (
      <div className="banner banner-error" role="alert" data-testid="db-banner">
        <span>
          <strong>{db}</strong> — {dbRetry}. {(drone.database.source === 'gateway' ? GATEWAY_ADVICE : DATABASE_ADVICE)[databaseState(drone.database)]}
        </span>
      </div>
    );
  }
  return null;
}

/** What to check, by what the database did: each points somewhere else. */
const DATABASE_ADVICE: Record<DatabaseState, string> = {
  connected: '',
  unreachable: 'The drone keeps its buffered tasks meanwhile; check that Postgres is running and the URL is right.',
  timeout: 'The drone keeps its buffered tasks meanwhile; check the load on Postgres and the network to it.',
  error: "Postgres is reachable but refused a statement: check the database role's privileges and the queue's schema.",
};

/** The same through a gateway (queue.module "remote"): the drone has no database to check. */
const GATEWAY_ADVICE: Record<DatabaseState, string> = {
  connected: '',
  unreachable: 'The drone keeps its buffered tasks meanwhile; check that the gateway runs and queue.config.url is right.',
  timeout: 'The drone keeps its buffered tasks meanwhile; check the gateway, its Postgres and the network to it.',
  error: "The gateway refused a call: check what this drone's token may do (swarmage gateway token list).",
};

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
