import type { Result } from '../../../core/api/contract.js';
import type { BulkRun } from '../hooks/useBulkRun.js';
import { formatDuration, plural, prettyJson } from '../lib/format.js';

export type Outcome = Result<'tasks.requestMany'>['outcomes'][number];
/** A task of a bulk run: its line (a row number for copies) and type. */
export interface BulkItem {
  line: number;
  type: string;
}
/** What came back for a task: its id, and for "send and wait" its outcome. */
export type BulkAnswer = { id: string } & Partial<Outcome>;

const SHOW_ROWS = 1000;

function preview(a: BulkAnswer): string {
  if (a.state === 'failed') return a.failure?.error ?? 'failed';
  if (a.state === 'timedOut') return 'no answer in time (the task stays queued)';
  const text = prettyJson(a.result).replace(/\s+/g, ' ');
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

const STATUS: Record<Outcome['state'], string> = { answered: 'answered', failed: 'failed', timedOut: 'timed out' };

/** A bulk send as it goes (progress, cancel) and when done (summary, "send the rest", each task's outcome). */
export function BulkRunPanel<T extends BulkItem>({ run, onCancel, onResume }: { run: BulkRun<T, BulkAnswer>; onCancel: () => void; onResume: () => void }) {
  const total = run.items.length;
  const verb = run.kind === 'wait' ? 'answered' : 'sent';
  const answers = run.results.filter((a): a is BulkAnswer => a !== undefined);
  const left = total - answers.length;
  const count = (s: Outcome['state']) => answers.filter((a) => a.state === s).length;
  const ids = answers.map((a) => a.id);
  return (
    <section className="card bulk-run" aria-labelledby="bulk-run-title" data-testid="bulk-run" aria-live="polite">
      <h3 id="bulk-run-title">{run.kind === 'wait' ? 'Send and wait' : 'Bulk send'}</h3>
      <div className="row">
        <progress value={run.done} max={total} aria-label={`tasks ${verb}`} data-testid="bulk-progress" className="grow" />
        <span className="num" data-testid="bulk-progress-text">
          {run.done} of {total} {verb}
        </span>
        {run.running && (
          <button type="button" className="btn small" onClick={onCancel} data-testid="bulk-cancel">
            Cancel
          </button>
        )}
      </div>
      {!run.running && (
        <p data-testid="bulk-summary" className={run.error ? 'error-text' : undefined}>
          {run.error && `Stopped: ${run.error}. `}
          {run.cancelled && 'Cancelled. '}
          {run.kind === 'wait'
            ? `${count('answered')} answered, ${count('failed')} failed, ${count('timedOut')} timed out, in ${formatDuration(run.ms)}.`
            : `Sent ${plural(answers.length, 'task')} in ${formatDuration(run.ms)}${ids.length > 0 ? ` (ids ${ids[0]} … ${ids[ids.length - 1]})` : ''}.`}
          {left > 0 && ` ${plural(left, 'task')} not sent.`}
        </p>
      )}
      {!run.running && left > 0 && (
        <button type="button" className="btn" onClick={onResume} data-testid="bulk-resume">
          Send the remaining {left}
        </button>
      )}
      {run.kind === 'wait' && answers.length > 0 && (
        <div className="bulk-results-scroll">
          <table className="table compact bulk-results" data-testid="bulk-results">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Line
                </th>
                <th scope="col">Type</th>
                <th scope="col">Task</th>
                <th scope="col">Status</th>
                <th scope="col">Result or error</th>
                <th scope="col" className="num">
                  ms
                </th>
              </tr>
            </thead>
            <tbody>
              {run.items.slice(0, SHOW_ROWS).map((item, i) => {
                const a = run.results[i];
                return (
                  <tr key={i} data-testid="bulk-result-row" className={a?.state && a.state !== 'answered' ? 'bad-row' : undefined}>
                    <td className="num">{item.line}</td>
                    <td className="mono">{item.type}</td>
                    <td className="mono">{a?.id ?? ''}</td>
                    <td data-testid="bulk-result-status">{a?.state ? STATUS[a.state] : run.running ? 'waiting' : 'not sent'}</td>
                    <td className="mono">{a ? preview(a) : ''}</td>
                    <td className="num">{a?.ms ?? ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {total > SHOW_ROWS && (
            <p className="muted small-text">
              The first {SHOW_ROWS} of {total} rows.
            </p>
          )}
        </div>
      )}
    </section>
  );
}
