import type { ConfigCheck } from '../../../core/api/contract.js';
import { IssueItem } from './ConfigIssues.js';

export type ApplyOutcome = { check: ConfigCheck; saved: boolean; file: string | null } | { error: string };

/** What "Apply" did: restarted on the new config (and saved it), or why not. */
export function ConfigResult({
  outcome,
  pending,
  onGoTo,
}: {
  outcome: ApplyOutcome | null;
  pending: boolean;
  onGoTo: (line: number, column: number | null) => void;
}) {
  if (!outcome && !pending) return null;
  return (
    <div className="card config-result" data-testid="config-result" aria-live="polite">
      {pending && <p className="muted">Applying… the drone finishes its running tasks, then restarts on the new configuration.</p>}
      {!pending && outcome && 'error' in outcome && (
        <p className="error-text" role="alert">
          Not applied: {outcome.error}
        </p>
      )}
      {!pending && outcome && 'check' in outcome && outcome.check.ok && (
        <p className="ok-text">
          Applied
          {outcome.saved
            ? ` and saved to ${outcome.file ?? 'the config file'}`
            : ' (not saved: the file is unchanged, a restart of the process goes back to it)'}
          . The drone restarts on the new configuration; watch its state above.
        </p>
      )}
      {!pending && outcome && 'check' in outcome && !outcome.check.ok && (
        <>
          <p className="error-text" role="alert">
            Not applied: the configuration has {outcome.check.issues.length} problem(s). The drone keeps running on the old one.
          </p>
          <ul className="issue-list">
            {outcome.check.issues.map((i, n) => (
              <IssueItem key={n} issue={i} severity="error" onGoTo={onGoTo} />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
