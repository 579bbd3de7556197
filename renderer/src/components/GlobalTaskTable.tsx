import type { GlobalTask } from '../../../core/api/contract.js';
import { appStore } from '../hooks/useApp.js';
import { formatDateTime, formatDuration, formatTimeOfDay } from '../lib/format.js';
import { inTime, shortDroneId } from '../lib/queue.js';

interface Props {
  tasks: readonly GlobalTask[];
  /** The overview's clock (ms since epoch), for "waiting for" and "in 4 s". */
  now: number;
  /** A list of several types (a drone's claims) shows each row's type. */
  showType?: boolean;
  /** With a selection, each row has a checkbox. */
  selected?: ReadonlySet<string>;
  onSelect?: (ids: readonly string[], on: boolean) => void;
  testId: string;
}

/** What is happening to the task, by its state. */
function when(t: GlobalTask, now: number): string {
  switch (t.state) {
    case 'available':
      return `due, waiting ${formatDuration(now - t.runAt)}`;
    case 'scheduled':
      return `runs ${formatDateTime(t.runAt)} (${inTime(t.runAt - now)})`;
    case 'claimed':
      return `by ${shortDroneId(t.claimedBy ?? '?')}${t.leaseUntil ? ` · lease until ${formatTimeOfDay(t.leaseUntil)}` : ''}`;
    case 'failed':
      return t.failedAt ? `failed ${formatDateTime(t.failedAt)}` : 'failed';
  }
}

/** Tasks on the global queue; a task's id looks it up (state, error, data, actions). */
export function GlobalTaskTable({ tasks, now, showType, selected, onSelect, testId }: Props) {
  const selectable = selected !== undefined && onSelect !== undefined;
  const allOn = selectable && tasks.length > 0 && tasks.every((t) => selected.has(t.id));
  return (
    <table className="table gtask-table" data-testid={testId}>
      <thead>
        <tr>
          {selectable && (
            <th scope="col" className="check">
              <input
                type="checkbox"
                checked={allOn}
                onChange={(e) =>
                  onSelect(
                    tasks.map((t) => t.id),
                    e.target.checked,
                  )
                }
                aria-label="Select every task shown"
                data-testid={`${testId}-select-all`}
              />
            </th>
          )}
          <th scope="col">Task</th>
          {showType && <th scope="col">Type</th>}
          <th scope="col">State</th>
          <th scope="col" className="num">
            Attempts
          </th>
          <th scope="col">When</th>
          <th scope="col">Error or data</th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((t) => (
          <tr key={t.id} data-testid={`gtask-${t.id}`} className={selected?.has(t.id) ? 'selected' : undefined}>
            {selectable && (
              <td className="check">
                <input
                  type="checkbox"
                  checked={selected.has(t.id)}
                  onChange={(e) => onSelect([t.id], e.target.checked)}
                  aria-label={`Select task ${t.id}`}
                  data-testid={`gtask-select-${t.id}`}
                />
              </td>
            )}
            <th scope="row">
              <button type="button" className="btn link bare mono" onClick={() => appStore.getState().lookUp(t.id)} data-testid={`gtask-open-${t.id}`}>
                {t.id}
              </button>
            </th>
            {showType && <td className="mono">{t.type}</td>}
            <td>
              <span className={`pill gstate-${t.state}`}>{t.state}</span>
            </td>
            <td className="num">
              {t.attempts} / {t.maxAttempts}
            </td>
            <td className="small-text" title={t.claimedBy ?? undefined}>
              {when(t, now)}
            </td>
            {t.error ? (
              <td className="cell-text bad-text" title={t.error}>
                {t.error.split('\n')[0]}
              </td>
            ) : (
              <td className="cell-text mono" title={t.data}>
                {t.data}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
