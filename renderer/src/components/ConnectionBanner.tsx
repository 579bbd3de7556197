import { reconnectNow } from '../api/droneApi.js';
import { secondsUntil } from '../lib/backoff.js';
import { useApp } from '../hooks/useApp.js';
import { useNow } from '../hooks/useNow.js';

/** Shown only while the page is not connected to the drone's host. */
export function ConnectionBanner() {
  const conn = useApp((s) => s.connection);
  const now = useNow(250, conn.status === 'reconnecting');
  if (conn.status === 'open' || conn.status === 'unauthorized') return null;
  if (conn.status === 'connecting') {
    return conn.attempt === 0 ? (
      <div className="banner banner-info" role="status" data-testid="connection-banner">
        Connecting to the drone…
      </div>
    ) : (
      <div className="banner banner-warn" role="status" data-testid="connection-banner">
        <span>
          <strong>Disconnected</strong> — reconnecting now… <span className="muted">(attempt {conn.attempt})</span>
        </span>
      </div>
    );
  }
  const secs = secondsUntil(conn.retryAt, now);
  return (
    <div className="banner banner-warn" role="status" data-testid="connection-banner">
      <span>
        <strong>Disconnected</strong> — reconnecting in {secs} s
        <span className="muted">
          {' '}
          ({conn.reason}; attempt {conn.attempt}). What you see is as of the last update.
        </span>
      </span>
      <button type="button" className="btn small" onClick={reconnectNow}>
        Reconnect now
      </button>
    </div>
  );
}
