import { useState } from 'react';
import type { ArgsIn, ProfileInfo } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { appStore, useApp } from '../hooks/useApp.js';
import { useAction } from '../hooks/useAction.js';

/** Shows the drone just added. */
function opened(p: ProfileInfo | null | undefined): void {
  if (p) appStore.getState().selectProfile(p.id);
}

/**
 * The first-run screen, and "+ Add" later: open a config (typed path, the desktop app's file picker,
 * a recent one, or dropped on the window), attach to a drone that runs elsewhere, or try the demo.
 */
export function AddProfileScreen({ firstRun }: { firstRun: boolean }) {
  const view = useApp((s) => s.profiles);
  const [file, setFile] = useState('');
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [add, adding] = useAction(async (args: ArgsIn<'profiles.add'>) => opened(await call('profiles.add', args)));
  const [pick, picking] = useAction(async () => opened(await call('profiles.pick', {})));
  const [demo, demoing] = useAction(async () => opened(await call('profiles.demo', {})));
  const busy = adding.pending || picking.pending || demoing.pending;
  const error = adding.error ?? picking.error ?? demoing.error;
  const recent = (view?.recent ?? []).filter((f) => !view?.profiles.some((p) => p.configFile === f));

  return (
    <div className="view-stack add-profile" data-testid="add-profile">
      <div className="card">
        <h2>{firstRun ? 'Welcome to Swarmage' : 'Add a drone'}</h2>
        <p className="muted">
          Each drone runs one config: its task types, its workers and its own local queue. Several can run at once; the switcher on the left picks the one every
          view shows.
        </p>
        {!firstRun && (
          <button type="button" className="btn small" onClick={() => appStore.getState().setAddingProfile(false)}>
            Back
          </button>
        )}
      </div>
      <div className="add-profile-options">
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            if (file.trim()) void add({ configFile: file.trim() });
          }}
        >
          <h3>Open a config</h3>
          <label className="field">
            <span>Path of a swarmage.config.json {view?.canPick ? '' : '(on the machine the app runs on)'}</span>
            <input value={file} onChange={(e) => setFile(e.target.value)} placeholder="/home/me/project/swarmage.config.json" data-testid="add-config-path" />
          </label>
          <div className="row-actions">
            <button type="submit" className="btn primary" disabled={busy || !file.trim()} data-testid="add-config">
              Open
            </button>
            {view?.canPick && (
              <button type="button" className="btn" disabled={busy} onClick={() => void pick()} data-testid="add-config-pick">
                Browse…
              </button>
            )}
          </div>
          {recent.length > 0 && (
            <>
              <p className="muted small-text">Recent</p>
              <ul className="recent-configs">
                {recent.map((f) => (
                  <li key={f}>
                    <button type="button" className="btn link mono" disabled={busy} onClick={() => void add({ configFile: f })}>
                      {f}
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
          <p className="muted small-text">{view?.canPick ? 'Or drop a config file on the window.' : 'No config yet? "npx swarmage init DIR" writes one.'}</p>
        </form>
        <form
          className="card"
          onSubmit={(e) => {
            e.preventDefault();
            void add({ attach: { url: url.trim(), token: token.trim() } });
          }}
        >
          <h3>Attach to a drone</h3>
          <p className="muted small-text">
            A drone started elsewhere with <code>swarmage drone --ui</code> (under systemd, on this machine or another): its address, and the token that{' '}
            <code>swarmage ui</code> prints as its user.
          </p>
          <label className="field">
            <span>Address</span>
            <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="http://127.0.0.1:7420/" data-testid="attach-url" />
          </label>
          <label className="field">
            <span>Token</span>
            <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" data-testid="attach-token" />
          </label>
          <button type="submit" className="btn primary" disabled={busy || !url.trim() || !token.trim()} data-testid="attach">
            Attach
          </button>
        </form>
        <div className="card">
          <h3>Try the demo</h3>
          <p className="muted small-text">
            The demo&apos;s workers (factorial, then hexadecimal through a <code>local:</code> chain) on the embedded Postgres: nothing to install.
          </p>
          <button type="button" className="btn primary" disabled={busy} onClick={() => void demo()} data-testid="add-demo">
            Run the demo
          </button>
        </div>
      </div>
      {error && (
        <p className="banner banner-error" role="alert" data-testid="add-profile-error">
          {error}
        </p>
      )}
    </div>
  );
}
