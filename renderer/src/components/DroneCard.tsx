import { describeWakeups, wakeupToken, type DatabaseState, type DroneSnapshot, type WakeupView } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { retryText } from '../lib/backoff.js';
import { formatDuration } from '../lib/format.js';
import { useAction } from '../hooks/useAction.js';
import { useNow } from '../hooks/useNow.js';
import { databaseState } from '../store/selectors.js';
import { EmbeddedDbBadge } from './EmbeddedDbBadge.js';

type Control = 'drone.pause' | 'drone.resume' | 'drone.drain';

const DATABASE_STATE_LABEL: Record<DatabaseState, string> = {
  connected: 'connected',
  unreachable: 'unreachable',
  timeout: 'not answering',
  error: 'error',
};

/** Who the drone is, how it is connected, and the claiming controls. */
export function DroneCard({ drone }: { drone: DroneSnapshot }) {
  const now = useNow(1000);
  const [run, action] = useAction((m: Control) => call(m, {}));
  const st = drone.state;
  const busy = action.pending;
  const db = drone.database;
  const dbState = databaseState(db);

  return (
    <section className="card drone-card" aria-labelledby="drone-title">
      <div className="card-head">
        <h2 id="drone-title">
          Drone <span className="mono">{drone.id}</span>
        </h2>
        <span className={`pill state-${drone.state}`} data-testid="drone-state">
          {drone.state}
        </span>
      </div>
      <dl className="facts">
        <div>
          <dt>Host</dt>
          <dd className="mono">
            {drone.host} · pid {drone.pid}
          </dd>
        </div>
        <div>
          <dt>{db.source === 'gateway' ? 'Queue' : 'Database'}</dt>
          <dd>
            <span className="mono">{db.url}</span>{' '}
            <span className={dbState === 'connected' ? 'pill ok' : 'pill bad'} data-testid="db-state">
              {DATABASE_STATE_LABEL[dbState]}
            </span>{' '}
            <EmbeddedDbBadge drone={drone} testId="db-embedded" />
            {dbState !== 'connected' && (
              <div className="error-text" data-testid="db-error">
                {db.lastError ?? 'not connected yet'} — {retryText(db.retryAt, now)}
              </div>
            )}
          </dd>
        </div>
        {drone.wakeups && <WakeupFact wakeups={drone.wakeups} />}
        <div>
          <dt>Uptime</dt>
          <dd>{formatDuration(now - drone.startedAt)}</dd>
        </div>
        <div>
          <dt>Outbox</dt>
          <dd title="Finished outcomes waiting to be acknowledged in Postgres">
            <span className="num" data-testid="drone-outbox">
              {drone.outbox}
            </span>{' '}
            {drone.outbox > 0 && dbState !== 'connected' && <span className="muted">waiting for the database</span>}
          </dd>
        </div>
      </dl>
      <div className="controls" role="group" aria-label="Claiming">
        <button
          type="button"
          className="btn"
          disabled={busy || (st !== 'running' && st !== 'draining')}
          onClick={() => run('drone.pause')}
          data-testid="drone-pause"
          title="No claiming and no new work started; running tasks finish"
        >
          Pause claiming
        </button>
        <button
          type="button"
          className="btn"
          disabled={busy || (st !== 'paused' && st !== 'draining')}
          onClick={() => run('drone.resume')}
          data-testid="drone-resume"
        >
          Resume
        </button>
        <button
          type="button"
          className="btn"
          disabled={busy || (st !== 'running' && st !== 'paused')}
          onClick={() => run('drone.drain')}
          data-testid="drone-drain"
          title="Stop claiming and finish what is buffered"
        >
          Drain
        </button>
        {action.error && (
          <span className="error-text" role="alert">
            {action.error}
          </span>
        )}
      </div>
    </section>
  );
}

/** How the drone learns of new tasks; polling because notifications do not arrive is a warning with its fix. */
function WakeupFact({ wakeups }: { wakeups: WakeupView }) {
  const polling = wakeups.state === 'poll';
  const label = { notify: 'notify', poll: `poll every ${wakeups.pollMs} ms`, checking: 'checking', down: 'reconnecting' }[wakeups.state];
  return (
    <div>
      <dt>Wake-ups</dt>
      <dd>
        <span className={polling ? 'pill warn' : 'pill'} data-testid="wakeups-state" title={describeWakeups(wakeupToken(wakeups), wakeups.pollMs)}>
          {label}
        </span>
        {wakeups.direct && (
          <span className="muted small-text" data-testid="wakeups-direct">
            {' '}
            over a direct listen connection
          </span>
        )}
        {polling && (
          <div className="muted small-text" data-testid="wakeups-fix">
            Notifications do not arrive: a NOTIFY this drone sent itself never came back, as behind a connection pooler in transaction mode. Give it a direct
            connection for LISTEN only: SWARMAGE_LISTEN_DATABASE_URL or queue.config.listenConnectionString (docs/deployment.md).
          </div>
        )}
      </dd>
    </div>
  );
}
