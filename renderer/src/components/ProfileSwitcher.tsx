import type { ProfileInfo } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { appStore, useApp } from '../hooks/useApp.js';
import { useAction } from '../hooks/useAction.js';

type ProfileAction = 'profiles.start' | 'profiles.stop' | 'profiles.restart' | 'profiles.remove';

/** One word for the switcher: what the tray icon would say of this drone. */
export function profileStatus(p: ProfileInfo): string {
  if (p.state !== 'running') return p.state;
  if (p.failing) return 'failing';
  return p.paused ? 'paused' : 'running';
}

/** The drones this app operates: pick the one every per-drone view shows; start, stop, restart or remove it. */
export function ProfileSwitcher() {
  const view = useApp((s) => s.profiles);
  const selected = useApp((s) => s.profile);
  const [act, action] = useAction((method: ProfileAction, id: string) => call(method, { id }));
  if (!view) return null;
  const current = view.profiles.find((p) => p.id === selected) ?? null;
  const stopped = current ? current.state === 'stopped' || current.state === 'error' : true;
  const button = (method: ProfileAction, label: string, testId: string, title?: string) => (
    <button
      key={method}
      type="button"
      className="btn small"
      disabled={action.pending}
      onClick={() => act(method, current!.id)}
      data-testid={testId}
      title={title}
    >
      {label}
    </button>
  );
  return (
    <section className="profiles" aria-label="Drones" data-testid="profiles">
      <div className="profiles-head">
        <span className="profiles-title">Drones</span>
        {view.editable && (
          <button
            type="button"
            className="btn small"
            onClick={() => appStore.getState().setAddingProfile(true)}
            data-testid="profile-add"
            title="Open a config, attach to a drone, or try the demo"
          >
            + Add
          </button>
        )}
      </div>
      <ul className="profile-list" role="listbox" aria-label="Drone shown">
        {view.profiles.map((p) => {
          const status = profileStatus(p);
          return (
            <li key={p.id} role="option" aria-selected={p.id === selected}>
              <button
                type="button"
                className={p.id === selected ? 'profile-item active' : 'profile-item'}
                onClick={() => appStore.getState().selectProfile(p.id)}
                title={`${p.kind === 'attached' ? p.url : p.configFile}${p.error ? `\n${p.error}` : ''}`}
                data-testid={`profile-${p.name}`}
              >
                <span className={`profile-dot pstate-${status}`} aria-hidden="true" />
                <span className="profile-name">{p.name}</span>
                <span className="profile-state" data-testid={`profile-state-${p.name}`}>
                  {p.kind === 'attached' && status === 'running' ? 'attached' : status}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {current && (
        <div className="profile-actions">
          {stopped
            ? button('profiles.start', current.kind === 'attached' ? 'Connect' : 'Start', 'profile-start')
            : [
                button(
                  'profiles.stop',
                  current.kind === 'attached' ? 'Disconnect' : 'Stop',
                  'profile-stop',
                  'Gracefully: running tasks finish, the rest go back to the queue',
                ),
                button('profiles.restart', 'Restart', 'profile-restart'),
              ]}
          {view.editable && button('profiles.remove', 'Remove', 'profile-remove', 'Stops it and forgets it; its files stay')}
        </div>
      )}
      {action.error && (
        <p className="error-text small-text" role="alert">
          {action.error}
        </p>
      )}
    </section>
  );
}
