import type { RequestFailure } from '../../../core/api/contract.js';
import { formatDateTime, formatDuration, prettyJson } from '../lib/format.js';

export type EnqueueOutcome =
  | { kind: 'sent'; type: string; ids: string[]; runAt: number; sentAt: number }
  | { kind: 'answered'; type: string; id: string; result: unknown; ms: number }
  | ({ kind: 'failed'; type: string; id: string; ms: number } & RequestFailure)
  | { kind: 'error'; message: string };

const SHOW_IDS = 20;

export function EnqueueResult({ outcome, pending }: { outcome: EnqueueOutcome | null; pending: string | null }) {
  return (
    <div className="card enqueue-result" data-testid="enqueue-result" aria-live="polite">
      {pending && <p className="muted">{pending}</p>}
      {!pending && !outcome && <p className="muted">Results appear here.</p>}
      {!pending && outcome?.kind === 'sent' && (
        <>
          <p>
            Enqueued {outcome.ids.length} <span className="mono">{outcome.type}</span> task{outcome.ids.length === 1 ? '' : 's'}.{' '}
            <span data-testid="enqueue-run-time">
              {/* The drone's clock said when; a second's difference is "now". */}
              {outcome.runAt - outcome.sentAt > 1000
                ? `They run at ${formatDateTime(outcome.runAt)} (${formatDuration(outcome.runAt - outcome.sentAt)} after sending).`
                : 'They run now.'}
            </span>
          </p>
          <p className="mono ids" data-testid="enqueue-ids">
            {outcome.ids.slice(0, SHOW_IDS).join(', ')}
            {outcome.ids.length > SHOW_IDS && ` … and ${outcome.ids.length - SHOW_IDS} more (last ${outcome.ids[outcome.ids.length - 1]})`}
          </p>
        </>
      )}
      {!pending && outcome?.kind === 'answered' && (
        <>
          <p>
            Task <span className="mono">{outcome.id}</span> answered in <strong data-testid="enqueue-ms">{outcome.ms} ms</strong>:
          </p>
          <pre className="pre" data-testid="enqueue-result-json">
            {prettyJson(outcome.result)}
          </pre>
        </>
      )}
      {!pending && outcome?.kind === 'failed' && (
        <>
          <p className="error-text" role="alert" data-testid="enqueue-failure">
            Task <span className="mono">{outcome.id}</span> ({outcome.type}) failed after {outcome.attempts} attempt{outcome.attempts === 1 ? '' : 's'}, in{' '}
            {outcome.ms} ms: {outcome.error}
          </p>
          {outcome.stack && (
            <pre className="pre" data-testid="enqueue-failure-stack">
              {outcome.stack}
            </pre>
          )}
        </>
      )}
      {!pending && outcome?.kind === 'error' && (
        <p className="error-text" role="alert" data-testid="enqueue-error">
          {outcome.message}
        </p>
      )}
    </div>
  );
}
