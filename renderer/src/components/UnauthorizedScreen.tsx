/** The host closed the socket with 4401: this page has no token, or a stale one. */
export function UnauthorizedScreen() {
  return (
    <main className="fullscreen" data-testid="unauthorized">
      <div className="fullscreen-card">
        <h1>This page needs its access link</h1>
        <p>
          The drone's UI only answers pages opened with its access token. Open the URL that{' '}
          <code>swarmage drone --ui</code> printed when it started — it ends in <code>?token=…</code>.
        </p>
        <p className="muted">
          If the drone was restarted with a new token, it printed a new URL and the old one no longer works. The token is taken out of the
          address bar once the page has read it.
        </p>
        <button type="button" className="btn primary" onClick={() => location.reload()}>
          Try again
        </button>
      </div>
    </main>
  );
}
