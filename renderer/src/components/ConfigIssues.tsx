import type { ConfigIssue } from '../../../core/api/contract.js';
import type { CheckState } from '../hooks/useConfigCheck.js';

interface Props {
  state: CheckState;
  onGoTo: (line: number, column: number | null) => void;
}

/** The problems of the config being edited, each a link to its line. */
export function ConfigIssues({ state, onGoTo }: Props) {
  return (
    <div className="config-issues" data-testid="config-issues" aria-live="polite">
      {state.kind === 'idle' && <p className="muted">Not checked yet.</p>}
      {state.kind === 'checking' && <p className="muted">Checking…</p>}
      {state.kind === 'failed' && <p className="error-text">Could not check the config: {state.message}</p>}
      {state.kind === 'syntax' && (
        <ul className="issue-list">
          <IssueItem issue={{ path: '', message: `Invalid JSON: ${state.message}`, line: state.line, column: state.column }} severity="error" onGoTo={onGoTo} />
        </ul>
      )}
      {state.kind === 'checked' && (
        <>
          {state.check.ok && state.check.warnings.length === 0 && <p className="ok-text">No problems found.</p>}
          {!state.check.ok && state.check.issues.length === 0 && <p className="error-text">The drone rejected this config without details.</p>}
          <ul className="issue-list">
            {state.check.issues.map((i, n) => (
              <IssueItem key={`e${n}`} issue={i} severity="error" onGoTo={onGoTo} />
            ))}
            {state.check.warnings.map((i, n) => (
              <IssueItem key={`w${n}`} issue={i} severity="warning" onGoTo={onGoTo} />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

export function IssueItem({
  issue,
  severity,
  onGoTo,
}: {
  issue: ConfigIssue;
  severity: 'error' | 'warning';
  onGoTo: (line: number, column: number | null) => void;
}) {
  const where = issue.line != null ? `line ${issue.line}${issue.column != null ? `:${issue.column}` : ''}` : 'whole file';
  const body = (
    <>
      <span className={`issue-sev sev-${severity}`}>{severity}</span> <span className="issue-where">{where}</span>
      {issue.path && <span className="mono issue-path"> {issue.path}</span>} — {issue.message}
    </>
  );
  return (
    <li className={`issue sev-${severity}`} data-testid="config-issue">
      {issue.line != null ? (
        <button type="button" className="issue-link" onClick={() => onGoTo(issue.line!, issue.column)}>
          {body}
        </button>
      ) : (
        body
      )}
    </li>
  );
}
