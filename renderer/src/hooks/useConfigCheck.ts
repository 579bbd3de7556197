import { useEffect, useState } from 'react';
import type { ConfigCheck } from '../../../core/api/contract.js';
import { parseJson } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';

const CHECK_DEBOUNCE_MS = 400;

export type CheckState =
  | { kind: 'idle' }
  | { kind: 'checking' }
  /** Not JSON: found here, without asking the drone. */
  | { kind: 'syntax'; message: string; line: number; column: number }
  | { kind: 'checked'; check: ConfigCheck }
  | { kind: 'failed'; message: string };

/** Checks the config text as the user types: syntax at once, the drone's validation after a pause. */
export function useConfigCheck(text: string | null): CheckState {
  const [state, setState] = useState<CheckState>({ kind: 'idle' });
  useEffect(() => {
    if (text === null) return;
    const parsed = parseJson(text);
    if (!parsed.ok) {
      setState({ kind: 'syntax', message: parsed.problem.message, line: parsed.problem.line, column: parsed.problem.column });
      return;
    }
    let stale = false;
    setState((s) => (s.kind === 'checked' ? s : { kind: 'checking' }));
    const t = window.setTimeout(() => {
      call('config.check', { text })
        .then((check) => !stale && setState({ kind: 'checked', check }))
        .catch((err: Error) => !stale && setState({ kind: 'failed', message: err.message }));
    }, CHECK_DEBOUNCE_MS);
    return () => {
      stale = true;
      window.clearTimeout(t);
    };
  }, [text]);
  return state;
}
