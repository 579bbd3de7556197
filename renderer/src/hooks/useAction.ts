import { useCallback, useEffect, useRef, useState } from 'react';

export interface ActionState<R> {
  pending: boolean;
  error: string | null;
  result: R | null;
}

/**
 * Runs an async call on demand and tracks pending / error / result, ignoring answers that arrive
 * after the component is gone or after a newer run started.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>): [(...args: A) => Promise<R | undefined>, ActionState<R>, () => void] {
  const [state, setState] = useState<ActionState<R>>({ pending: false, error: null, result: null });
  const run = useRef(0);
  const alive = useRef(true);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const start = useCallback(async (...args: A) => {
    const id = ++run.current;
    setState((s) => ({ ...s, pending: true, error: null }));
    try {
      const result = await fnRef.current(...args);
      if (alive.current && id === run.current) setState({ pending: false, error: null, result });
      return result;
    } catch (err) {
      if (alive.current && id === run.current) setState({ pending: false, error: err instanceof Error ? err.message : String(err), result: null });
      return undefined;
    }
  }, []);

  const reset = useCallback(() => {
    run.current++;
    setState({ pending: false, error: null, result: null });
  }, []);

  return [start, state, reset];
}
