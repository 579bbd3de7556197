import type { Step } from '../queue/local/types.js';
import type { ChildResult } from './protocol.js';

/** A step handed to a worker process and not finished. */
export interface Inflight {
  step: Step;
  /** When it began running (it may wait behind others in the child), or null while it waits. */
  startedAt: number | null;
}

/** A step's outcome, with when it began running (null: it never did, e.g. its worker died first). */
export interface RunResult {
  step: Step;
  result: ChildResult;
  startedAt: number | null;
}
