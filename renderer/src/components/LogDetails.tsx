import type { LogLine } from '../../../core/api/contract.js';
import { formatDateTime } from '../lib/format.js';

const SHOWN = new Set(['seq', 'time', 'level', 'msg']);

/** The whole of one selected line: full message (stacks included) and every extra field. */
export function LogDetails({ line, onClose }: { line: LogLine; onClose: () => void }) {
  const extra = Object.fromEntries(Object.entries(line).filter(([k]) => !SHOWN.has(k)));
  return (
    <section className="log-details" aria-label="Selected log line" data-testid="log-details">
      <div className="card-head">
        <span>
          <span className={`log-level lvl-${line.level}`}>{line.level}</span> {formatDateTime(line.time)} · #{line.seq}
        </span>
        <button type="button" className="btn small" onClick={onClose}>
          Close
        </button>
      </div>
      <pre className="pre">{line.msg}</pre>
      {Object.keys(extra).length > 0 && <pre className="pre muted">{JSON.stringify(extra, null, 2)}</pre>}
    </section>
  );
}
