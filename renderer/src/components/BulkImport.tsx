import type { JsonlImport } from '../lib/jsonl.js';
import { plural } from '../lib/format.js';

interface Props {
  file: { name: string; parsed: JsonlImport } | null;
  /** Why the file could not be read at all (too big, not text). */
  fileError: string | null;
  busy: boolean;
  /** Why the form's options (which apply to every line) stop a send, if they do. */
  blocked: string | null;
  onPick: (file: File) => void;
  onSend: () => void;
  onSendWait: () => void;
  onClear: () => void;
}

/** Picks a JSONL file (or takes one dropped on the view) and shows every bad line before anything is sent. */
export function BulkImport({ file, fileError, busy, blocked, onPick, onSend, onSendWait, onClear }: Props) {
  const parsed = file?.parsed;
  const ready = parsed !== undefined && parsed.problemCount === 0 && parsed.tasks.length > 0 && blocked === null;
  const types = parsed ? [...new Set(parsed.tasks.map((t) => t.type))] : [];
  return (
    <section className="card bulk" aria-labelledby="bulk-title" data-testid="bulk-import">
      <h3 id="bulk-title">Import a JSONL file</h3>
      <p className="muted small-text">
        One task per line, checked before anything is sent. A line is the task&apos;s data, sent as the type and with the options on the left; or an object with{' '}
        <span className="mono">&quot;data&quot;</span> and any of <span className="mono">type</span>, <span className="mono">priority</span>,{' '}
        <span className="mono">maxAttempts</span>, <span className="mono">delayMs</span> (and no other key) for a line of its own type and options. Blank lines
        are skipped. Choose a file, or drop one on this view.
      </p>
      <input
        type="file"
        accept=".jsonl,.ndjson,.txt,application/x-ndjson,application/jsonl"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) onPick(f);
          e.target.value = '';
        }}
        disabled={busy}
        aria-label="JSONL file to import"
        data-testid="bulk-file"
      />
      {fileError && (
        <p className="error-text" role="alert" data-testid="bulk-file-error">
          {fileError}
        </p>
      )}
      {file && parsed && parsed.problemCount > 0 && (
        <div role="alert">
          <p className="error-text" data-testid="bulk-errors-summary">
            {file.name}: {plural(parsed.problemCount, 'bad line')}; nothing is sent until the file is fixed and chosen again.
          </p>
          <ul className="bulk-errors mono small-text" data-testid="bulk-errors">
            {parsed.problems.map((p) => (
              <li key={p.line}>
                bad line {p.line}: {p.message}
              </li>
            ))}
            {parsed.problemCount > parsed.problems.length && <li>… and {parsed.problemCount - parsed.problems.length} more</li>}
          </ul>
        </div>
      )}
      {file && parsed && parsed.problemCount === 0 && (
        <p data-testid="bulk-ready">
          {file.name}: {plural(parsed.tasks.length, 'task')}
          {types.length > 0 && ` of ${types.length <= 3 ? types.join(', ') : plural(types.length, 'type')}`}
          {parsed.tasks.length === 0 && ' (the file has no lines)'}
        </p>
      )}
      {file && blocked && (
        <p className="error-text" data-testid="bulk-blocked">
          {blocked}
        </p>
      )}
      {file && (
        <div className="controls">
          <button type="button" className="btn primary" disabled={!ready || busy} onClick={onSend} data-testid="bulk-send">
            Send all
          </button>
          <button type="button" className="btn" disabled={!ready || busy} onClick={onSendWait} data-testid="bulk-send-wait">
            Send and wait for all
          </button>
          <button type="button" className="btn" disabled={busy} onClick={onClear}>
            Clear
          </button>
        </div>
      )}
    </section>
  );
}
