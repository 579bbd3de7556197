/** The host closed the socket with 4401: this browser is not logged in, or with a token of an earlier run. */
export function UnauthorizedScreen() {
  return (
    <main className="fullscreen" data-testid="unauthorized">
      <div className="fullscreen-card">
        <h1>This page needs its login link</h1>
        <p>
          The drone's UI answers only browsers that logged in with its access token. Open the login URL that <code>swarmage drone --ui</code> (or{' '}
          <code>npm start</code>) printed when it started — it ends in <code>?token=…</code> — or run <code>swarmage ui</code> as the same user on the drone's
          machine to list it.
        </p>
        <p className="muted">
          Each start of the drone makes a new token unless it is given one, so a login from an earlier run no longer works. The link is needed once: the browser
          keeps a cookie, and the token leaves the address bar.
        </p>
        <button type="button" className="btn primary" onClick={() => location.reload()}>
          Try again
        </button>
      </div>
    </main>
  );
}
