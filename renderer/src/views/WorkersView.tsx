import type { InstanceInfo } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { DebugControls } from '../components/DebugControls.js';
import { formatDuration } from '../lib/format.js';
import { useAction } from '../hooks/useAction.js';
import { useApp } from '../hooks/useApp.js';
import { EmptyState } from '../components/EmptyState.js';

type WorkerMethod = 'workers.restart' | 'workers.stop' | 'workers.start';

export function WorkersView() {
  const workers = useApp((s) => s.snapshot?.drone?.workers ?? null);
  const types = useApp((s) => s.snapshot?.drone?.types ?? null);
  const hotReload = useApp((s) => s.snapshot?.drone?.hotReload ?? false);
  if (!workers) return <EmptyState title="Waiting for the drone…" />;
  if (workers.length === 0) {
    return (
      <EmptyState title="No workers" testId="no-workers">
        <p>The configuration has no task types, so no worker processes run. Add one under "workers" in Config.</p>
      </EmptyState>
    );
  }
  return (
    <div className="view-stack">
      <section className="card" aria-labelledby="workers-title">
        <div className="card-head">
          <h2 id="workers-title">Worker processes</h2>
          <span className="muted">
            {workers.length} instance(s) ·{' '}
            <span
              className={hotReload ? 'pill ok' : 'pill'}
              data-testid="hot-reload"
              title="Hot reload: when a worker module's file changes, its instances drain and restart with the new code"
            >
              hot reload {hotReload ? 'on' : 'off'}
            </span>
          </span>
        </div>
        <table className="table workers-table">
          <thead>
            <tr>
              <th scope="col">Instance</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">
                PID
              </th>
              <th scope="col">State</th>
              <th scope="col">Code</th>
              <th scope="col">Current task</th>
              <th scope="col" className="num">
                Done
              </th>
              <th scope="col" className="num">
                Failed
              </th>
              <th scope="col" className="num">
                Restarts
              </th>
              <th scope="col">Last exit</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {workers.map((w) => (
              <WorkerRow key={w.id} w={w} />
            ))}
          </tbody>
        </table>
      </section>
      {types && types.length > 0 && (
        <section className="card" aria-labelledby="debug-title">
          <div className="card-head">
            <h2 id="debug-title">Debugger</h2>
            <span className="muted small-text">the next task of a type runs in a new instance with the Node inspector on 127.0.0.1</span>
          </div>
          <table className="table debug-table">
            <tbody>
              {types.map((t) => (
                <tr key={t.type}>
                  <th scope="row" className="mono">
                    {t.type}
                  </th>
                  <td>
                    <DebugControls type={t.type} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}

function WorkerRow({ w }: { w: InstanceInfo }) {
  const [run, action] = useAction((m: WorkerMethod) => call(m, { id: w.id }));
  const stopped = w.state === 'stopped';
  return (
    <tr data-testid={`worker-${w.id}`}>
      <th scope="row" className="mono">
        {w.id}
      </th>
      <td className="mono">{w.type}</td>
      <td className="num mono">{w.pid ?? '—'}</td>
      <td>
        <span className={`pill wstate-${w.state}`} data-testid={`worker-state-${w.id}`}>
          {w.state}
        </span>
        {w.debug && (
          <span className="pill debug-badge" data-testid={`worker-debug-${w.id}`} title="Started with the Node inspector (debug this type)">
            debug
          </span>
        )}
      </td>
      <td className="mono" data-testid={`worker-code-${w.id}`} title="The first 8 hex digits of the SHA-256 of the module file this instance loaded">
        {w.codeVersion ?? <span className="muted">—</span>}
      </td>
      <td className="mono">
        {w.currentTask ? (
          <>
            {w.currentTask} <span className="muted">for {formatDuration(w.runningForMs ?? 0)}</span>
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="num">{w.done}</td>
      <td className={w.failed > 0 ? 'num bad-text' : 'num'}>{w.failed}</td>
      <td className="num">{w.restarts}</td>
      <td className="last-exit" title={w.lastExit ?? undefined}>
        {w.lastExit ?? <span className="muted">—</span>}
      </td>
      <td>
        <div className="row-actions">
          <button type="button" className="btn small" disabled={action.pending} onClick={() => run('workers.restart')} data-testid={`worker-restart-${w.id}`}>
            Restart
          </button>
          <button
            type="button"
            className="btn small"
            disabled={action.pending || stopped}
            onClick={() => run('workers.stop')}
            data-testid={`worker-stop-${w.id}`}
            title="Stop this instance; its unstarted tasks go back to the buffer"
          >
            Stop
          </button>
          <button
            type="button"
            className="btn small"
            disabled={action.pending || !stopped}
            onClick={() => run('workers.start')}
            data-testid={`worker-start-${w.id}`}
          >
            Start
          </button>
        </div>
        {action.error && (
          <div className="error-text" role="alert">
            {action.error}
          </div>
        )}
      </td>
    </tr>
  );
}
