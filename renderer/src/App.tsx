import type { DragEvent, ReactElement } from 'react';
import { call } from './api/droneApi.js';
import type { ViewId } from './lib/shortcuts.js';
import { appStore, useApp } from './hooks/useApp.js';
import { useHashView } from './hooks/useHashView.js';
import { useShortcuts } from './hooks/useShortcuts.js';
import { AddProfileScreen } from './components/AddProfileScreen.js';
import { ConnectionBanner } from './components/ConnectionBanner.js';
import { ProfileSwitcher } from './components/ProfileSwitcher.js';
import { Header } from './components/Header.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { Nav } from './components/Nav.js';
import { StatusBanner } from './components/StatusBanner.js';
import { UnauthorizedScreen } from './components/UnauthorizedScreen.js';
import { ConfigView } from './views/ConfigView.js';
import { EnqueueView } from './views/EnqueueView.js';
import { FailuresView } from './views/FailuresView.js';
import { FleetView } from './views/FleetView.js';
import { LogsView } from './views/LogsView.js';
import { OverviewView } from './views/OverviewView.js';
import { PipelineView } from './views/PipelineView.js';
import { QueueView } from './views/QueueView.js';
import { TasksView } from './views/TasksView.js';
import { TraceView } from './views/TraceView.js';
import { WorkersView } from './views/WorkersView.js';

const VIEWS: Record<ViewId, () => ReactElement> = {
  overview: OverviewView,
  pipeline: PipelineView,
  tasks: TasksView,
  trace: TraceView,
  workers: WorkersView,
  logs: LogsView,
  enqueue: EnqueueView,
  failures: FailuresView,
  config: ConfigView,
  queue: QueueView,
  fleet: FleetView,
};

export function App() {
  useShortcuts();
  useHashView();
  const unauthorized = useApp((s) => s.connection.status === 'unauthorized');
  const view = useApp((s) => s.view);
  const stale = useApp((s) => s.connection.status !== 'open');
  const profile = useApp((s) => s.profile);
  const noDrones = useApp((s) => s.profiles !== null && s.profiles.profiles.length === 0);
  const adding = useApp((s) => s.addingProfile);
  if (unauthorized) return <UnauthorizedScreen />;
  const View = VIEWS[view];
  return (
    <div className="app" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <aside className="sidebar">
        <Header />
        <ProfileSwitcher />
        <Nav />
      </aside>
      <main className={`main view-${adding || noDrones ? 'add-profile' : view}`} id="main" data-testid={`view-${adding || noDrones ? 'add-profile' : view}`}>
        <ConnectionBanner />
        {adding || noDrones ? (
          <AddProfileScreen firstRun={noDrones} />
        ) : (
          <>
            <StatusBanner />
            {/* Keyed by drone: switching remounts every view, so none keeps the previous drone's state. */}
            <div className={stale ? 'view stale' : 'view'} key={profile ?? ''}>
              <View />
            </div>
          </>
        )}
      </main>
      <HelpOverlay />
    </div>
  );
}

/** A config file dropped on the window becomes a drone (the desktop app tells the page its path; a browser cannot). */
function onDrop(e: DragEvent): void {
  // A view that took the drop itself (a JSONL file on Enqueue) has said so.
  if (e.defaultPrevented) return;
  const file = e.dataTransfer.files[0];
  if (!file) return;
  e.preventDefault();
  const where = window.swarmage?.pathForFile?.(file) ?? '';
  if (!where) {
    window.alert('A browser does not tell the page where a dropped file is: type its path under "Open a config" instead.');
    return;
  }
  void call('profiles.add', { configFile: where }).then(
    (p) => appStore.getState().selectProfile(p.id),
    (err: Error) => window.alert(`Could not open ${where}: ${err.message}`),
  );
}
