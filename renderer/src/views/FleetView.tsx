import { describeWakeups, type FleetDrone } from '../../../core/api/contract.js';
import { appStore, useApp } from '../hooks/useApp.js';
import { useQueueOverview } from '../hooks/useQueueOverview.js';
import { formatDateTime, formatDuration } from '../lib/format.js';
import { claimsReturnText, fleetSummary } from '../lib/queue.js';
import { DroneHolds } from '../components/DroneHolds.js';
import { EmptyState } from '../components/EmptyState.js';
import { Outcome } from '../components/Outcome.js';
import { TableHead, type Column } from '../components/TableHead.js';

const COLUMNS: Column[] = [
  { label: 'Drone' },
  { label: 'Host' },
  { label: 'PID', num: true },
  { label: 'Version' },
  { label: 'Wake-ups' },
  { label: 'Types' },
  { label: 'Started' },
  { label: 'Last heartbeat', num: true },
  { label: 'State' },
  { label: 'Held', num: true },
];

/** Every drone registered on the global queue, on any machine: alive or not, and what it holds. */
export function FleetView() {
  const o = useQueueOverview();
  const picked = useApp((s) => s.fleetDrone);
  const drones = o.data?.drones ?? null;
  const open = drones?.find((d) => d.id === picked) ?? null;
  return (
    <div className="view-stack">
      <section className="card" aria-labelledby="fleet-title">
        <div className="card-head">
          <h2 id="fleet-title">Fleet</h2>
          <span className="muted small-text" data-testid="fleet-summary">
            {drones ? `${fleetSummary(drones)} · refreshes every 2 s` : 'loading…'}
          </span>
        </div>
        <Outcome error={o.error} />
        {drones && drones.length === 0 && (
          <EmptyState title="No drone has registered on this queue" testId="fleet-empty">
            <p>A drone registers when it starts and heartbeats while it runs.</p>
          </EmptyState>
        )}
        {drones && drones.length > 0 && (
          <table className="table fleet-table" data-testid="fleet-table">
            <TableHead columns={COLUMNS} />
            <tbody>
              {drones.map((d) => (
                <FleetRow key={d.id} d={d} now={o.now} open={d.id === picked} />
              ))}
            </tbody>
          </table>
        )}
        <p className="muted small-text">
          Alive: heartbeats on time. Stale: a heartbeat is late, its tasks are still its own. Dead: its lease ran out; a live drone puts the tasks it held back
          on the queue. Click a drone for the tasks it holds.
        </p>
      </section>
      {open && <DroneHolds key={open.id} drone={open} now={o.now} />}
    </div>
  );
}

function FleetRow({ d, now, open }: { d: FleetDrone; now: number; open: boolean }) {
  const returning = claimsReturnText(d, now);
  const classes = [open ? 'selected' : '', returning ? 'has-note' : ''].filter(Boolean).join(' ');
  return (
    <>
      <tr className={classes || undefined} data-testid={`fleet-row-${d.id}`}>
        <th scope="row">
          <button
            type="button"
            className="btn link bare mono"
            onClick={() => appStore.getState().openDrone(open ? null : d.id)}
            aria-expanded={open}
            data-testid={`fleet-open-${d.id}`}
          >
            {d.id}
          </button>
          {d.self && (
            <span className="pill self-badge" data-testid={`fleet-self-${d.id}`} title="The drone this UI belongs to">
              this drone
            </span>
          )}
        </th>
        <td className="mono">{d.host}</td>
        <td className="num mono">{d.pid}</td>
        <td className="mono">{d.version ?? <span className="muted">—</span>}</td>
        <td className="small-text" data-testid={`fleet-wakeups-${d.id}`}>
          {describeWakeups(d.wakeups)}
        </td>
        <td className="mono small-text fleet-types">{d.types.length ? d.types.join(', ') : <span className="muted">none</span>}</td>
        <td className="small-text">{formatDateTime(d.startedAt)}</td>
        <td className="num" data-testid={`fleet-heartbeat-${d.id}`}>
          {formatDuration(Math.max(0, now - d.heartbeatAt))} ago
        </td>
        <td>
          <span className={`pill fstate-${d.state}`} data-testid={`fleet-state-${d.id}`}>
            {d.state}
          </span>
        </td>
        <td className="num" data-testid={`fleet-held-${d.id}`}>
          {d.held}
        </td>
      </tr>
      {returning && (
        <tr className={open ? 'fleet-note selected' : 'fleet-note'}>
          <td colSpan={COLUMNS.length} data-testid={`fleet-returns-${d.id}`}>
            {returning}
          </td>
        </tr>
      )}
    </>
  );
}
