import { useState } from 'react';
import type { QueueOverview, QueueTypeRow } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useAction } from '../hooks/useAction.js';
import { appStore } from '../hooks/useApp.js';
import { formatCount, formatDuration, formatRate, formatTimeOfDay } from '../lib/format.js';
import { COUNT_KEYS, lowerBounds, shortDroneId, sortTypes, type CountKey } from '../lib/queue.js';
import { TableHead, type Column } from './TableHead.js';

type Exact = Record<CountKey, number> & { at: number };

const COLUMNS: Column[] = [
  { label: 'Type' },
  { label: 'Available', num: true },
  { label: 'Scheduled', num: true },
  { label: 'Claimed', num: true },
  { label: 'Failed', num: true },
  { label: 'Oldest waiting', num: true },
  { label: 'Enqueued /s', num: true },
  { label: 'Processed /s', num: true },
  { label: 'Served by' },
  { label: 'Exact counts', hidden: true },
];

/** Every type on the global queue, the unserved ones first; a type's name opens its tasks. */
export function QueueTable({ overview, selected }: { overview: QueueOverview; selected: string | null }) {
  // Exact counts asked for (queue.count), by type: shown instead of the capped ones until asked again.
  const [exact, setExact] = useState<Record<string, Exact>>({});
  return (
    <table className="table queue-table" data-testid="queue-table">
      <TableHead columns={COLUMNS} />
      <tbody>
        {sortTypes(overview.types).map((t) => (
          <QueueRow
            key={t.type}
            t={t}
            overview={overview}
            selected={t.type === selected}
            exact={exact[t.type] ?? null}
            onExact={(e) => setExact((cur) => ({ ...cur, [t.type]: e }))}
          />
        ))}
      </tbody>
    </table>
  );
}

interface RowProps {
  t: QueueTypeRow;
  overview: QueueOverview;
  selected: boolean;
  exact: Exact | null;
  onExact: (e: Exact) => void;
}

function QueueRow({ t, overview, selected, exact, onExact }: RowProps) {
  const bound = lowerBounds(t, overview);
  const [count, counting] = useAction(async () => onExact({ ...(await call('queue.count', { type: t.type })), at: Date.now() }));
  const classes = [t.unserved ? 'unserved' : '', selected ? 'selected' : ''].filter(Boolean).join(' ');
  return (
    <tr className={classes || undefined} data-testid={`queue-row-${t.type}`}>
      <th scope="row">
        <button
          type="button"
          className="btn link bare mono"
          onClick={() => appStore.getState().openQueueType(selected ? null : t.type)}
          aria-expanded={selected}
          data-testid={`queue-open-${t.type}`}
        >
          {t.type}
        </button>
        {t.unserved && (
          <div className="unserved-note" data-testid={`queue-unserved-${t.type}`}>
            <span className="pill bad">unserved</span> no live drone serves this type — tasks pile up
          </div>
        )}
      </th>
      {COUNT_KEYS.map((k) => (
        <td
          key={k}
          className={k === 'failed' && t.failed > 0 ? 'num bad-text' : 'num'}
          title={bound[k] && !exact ? `at least: the overview stops counting at ${formatCount(overview.cap)} rows (count exactly for the number)` : undefined}
          data-testid={`queue-${k}-${t.type}`}
        >
          {exact ? formatCount(exact[k]) : formatCount(t[k], bound[k])}
        </td>
      ))}
      <td className="num" data-testid={`queue-oldest-${t.type}`}>
        {t.oldestWaitingMs === null ? <span className="muted">—</span> : formatDuration(t.oldestWaitingMs)}
      </td>
      <td className="num" data-testid={`queue-enqueued-${t.type}`}>
        {t.enqueuedPerSec === null ? <span className="muted">—</span> : formatRate(t.enqueuedPerSec)}
      </td>
      <td className="num" data-testid={`queue-processed-${t.type}`}>
        {formatRate(t.processedPerSec)}
      </td>
      <td data-testid={`queue-served-${t.type}`}>
        {t.servedBy.length === 0 ? (
          <span className={t.unserved ? 'no-drone bad-text' : 'no-drone muted'}>no live drone</span>
        ) : (
          <span className="drone-ids">
            {t.servedBy.map((id) => (
              <button key={id} type="button" className="chip" title={id} onClick={() => appStore.getState().openDrone(id)}>
                {shortDroneId(id)}
              </button>
            ))}
          </span>
        )}
      </td>
      <td className="small-text">
        {(t.capped || exact) && (
          <button
            type="button"
            className="btn small"
            onClick={() => void count()}
            disabled={counting.pending}
            title={`The overview reads at most ${formatCount(overview.cap)} rows per type and state, to stay cheap: this counts every row of the type`}
            data-testid={`queue-count-${t.type}`}
          >
            {counting.pending ? 'counting…' : exact ? 'recount' : 'count exactly'}
          </button>
        )}
        {exact && <div className="muted">exact at {formatTimeOfDay(exact.at)}</div>}
        {counting.error && <div className="error-text">{counting.error}</div>}
      </td>
    </tr>
  );
}
