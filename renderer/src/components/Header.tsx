import { useApp } from '../hooks/useApp.js';
import { EmbeddedDbBadge } from './EmbeddedDbBadge.js';

/** Brand, which drone this is, and one word each for the connection and the drone's state; a badge when its database is the embedded one. */
export function Header() {
  const conn = useApp((s) => s.connection.status);
  const app = useApp((s) => s.snapshot?.app ?? null);
  const drone = useApp((s) => s.snapshot?.drone ?? null);
  const state = app?.state === 'running' && drone ? drone.state : (app?.state ?? '…');
  return (
    <header className="header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ◆
        </span>{' '}
        swarmage
      </div>
      <div className="header-drone">
        <span className="mono" title={drone ? `${drone.host}, pid ${drone.pid}` : undefined}>
          {drone?.id ?? 'no drone'}
        </span>
        <span className={`pill state-${state}`} data-testid="app-state">
          {state}
        </span>
        <EmbeddedDbBadge drone={drone} testId="header-embedded-db" />
      </div>
      <div className={`conn conn-${conn}`} title={conn === 'open' ? 'Connected to the drone' : 'Not connected'}>
        <span className="conn-dot" aria-hidden="true" />
        {conn === 'open' ? 'live' : conn}
      </div>
      {app?.version && <div className="muted small-text">v{app.version}</div>}
    </header>
  );
}
