import type { ReactElement } from 'react';
import type { ViewId } from './lib/shortcuts.js';
import { useApp } from './hooks/useApp.js';
import { useHashView } from './hooks/useHashView.js';
import { useShortcuts } from './hooks/useShortcuts.js';
import { ConnectionBanner } from './components/ConnectionBanner.js';
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
  if (unauthorized) return <UnauthorizedScreen />;
  const View = VIEWS[view];
  return (
    <div className="app">
      <aside className="sidebar">
        <Header />
        <Nav />
      </aside>
      <main className={`main view-${view}`} id="main" data-testid={`view-${view}`}>
        <ConnectionBanner />
        <StatusBanner />
        <div className={stale ? 'view stale' : 'view'}>
          <View />
        </div>
      </main>
      <HelpOverlay />
    </div>
  );
}
