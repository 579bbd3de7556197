import type { ResolvedConfig } from '../config/load.js';
import type { Finished, Outcome, Step, StepLog } from '../queue/local/types.js';
import type { ChildResult } from '../workers/protocol.js';
import type { RunResult } from '../workers/runResult.js';
import { retryDelayMs } from '../util/backoff.js';
import { faultPoint } from '../util/faults.js';
import { reason } from '../util/redact.js';
import { MAX_ERROR_BYTES, MAX_STACK_BYTES, cutNullable, cutText } from '../util/truncate.js';
import type { DroneContext } from './ports.js';

/** What a final failure's error adds: the task is failed now, whatever attempts it has left. */
export const NOT_RETRIED = '; not retried: another attempt would fail the same way';

/**
 * A failure of `step`, bounded whoever wrote it (it is recorded locally and sent to Postgres), with
 * its retry delay; `final` when another attempt cannot succeed, which the error says too.
 */
export function failureOf(step: Step, error: string, stack: string | null, retry: ResolvedConfig['retry'], final = false): Outcome {
  return {
    kind: 'failed',
    step,
    error: final ? cutText(error, MAX_ERROR_BYTES - NOT_RETRIED.length) + NOT_RETRIED : cutText(error, MAX_ERROR_BYTES),
    stack: cutNullable(stack, MAX_STACK_BYTES),
    retryInMs: retryDelayMs(step.attempt, retry.baseMs, retry.maxMs),
    final,
  };
}

/** What a worker's result means for its step: done, a `local:` hop (to a type this drone serves), or a failure. */
export function outcomeOf(step: Step, result: ChildResult, serves: (type: string) => boolean, retry: ResolvedConfig['retry']): Outcome {
  if (!result.ok) return failureOf(step, result.error, result.stack, retry, result.final === true);
  if (result.next === undefined) return { kind: 'done', step, resultJson: result.json };
  if (serves(result.next)) return { kind: 'hop', step, nextType: result.next, nextDataJson: result.json };
  return failureOf(
    step,
    `the ${step.type} worker chained to local:${result.next}, but this drone has no worker for ${JSON.stringify(result.next)}`,
    null,
    retry,
  );
}

/**
 * Workers' outcomes on their way into the local queue: everything that finished in one turn of the
 * event loop is written in one transaction, committed before Postgres hears of it and before a
 * hop's next step runs. Chains that ended go to `finished` (the outbox).
 */
export class OutcomeRecorder {
  private outcomes: Outcome[] = [];
  /** Workers' log lines of running steps, written with the next batch. */
  private stepLogs: StepLog[] = [];
  private scheduled = false;
  /** Batches posted to the local queue and not yet committed. */
  private inFlight = 0;
  private lastRecordAt = 0;

  private readonly serves = (type: string) => this.drone.buffers.serves(type);

  constructor(
    private readonly drone: DroneContext,
    private readonly finished: (chains: Finished[]) => void,
  ) {}

  /** Nothing scheduled and nothing on its way to the local queue. */
  get idle(): boolean {
    return !this.scheduled && this.inFlight === 0;
  }

  add(results: RunResult[]): void {
    const { buffers, edges, log, config } = this.drone;
    const now = Date.now();
    for (const { step, result, startedAt } of results) {
      buffers.count(step.type, result.ok, now);
      if (step.parentId === null) {
        if (startedAt !== null) edges.claimLatency(step.type, startedAt - step.createdAt);
      } else if (step.parentType !== undefined) {
        edges.hop(step.parentType, step.type, startedAt === null ? null : startedAt - step.queuedAt, now);
      }
      if (!result.ok) {
        const what = result.final ? `${result.error}${NOT_RETRIED}` : result.error;
        log.warn(`task failed (attempt ${step.attempt} of ${step.maxAttempts}): ${what}`, { task: step.rootId, type: step.type });
        this.drone.failed(step.type, result.error, result.stack);
      }
      const outcome = outcomeOf(step, result, this.serves, config.retry);
      outcome.startedAt = startedAt;
      this.outcomes.push(outcome);
    }
    this.schedule();
  }

  /** Fails a step without running it (its type has no worker any more). */
  fail(step: Step, error: string): void {
    this.outcomes.push(failureOf(step, error, null, this.drone.config.retry));
    this.schedule();
  }

  addLog(line: StepLog): void {
    this.stepLogs.push(line);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // While results stream in (the last write was under a millisecond ago), a millisecond's worth
    // goes into one transaction.
    if (performance.now() - this.lastRecordAt < 1) setTimeout(() => void this.record(), 1);
    else setImmediate(() => void this.record());
  }

  /** Writes what has arrived; the drone's stop calls it too, for the last results. */
  async record(): Promise<void> {
    this.scheduled = false;
    this.lastRecordAt = performance.now();
    const batch = this.outcomes;
    const logs = this.stepLogs;
    this.outcomes = [];
    this.stepLogs = [];
    const local = this.drone.local;
    if ((batch.length === 0 && logs.length === 0) || !local) return;
    let created: Step[];
    let finished: Finished[];
    this.inFlight++;
    try {
      ({ created, finished } = await local.record(batch, logs));
    } catch (err) {
      // The steps stay queued in the file; on restart they run again. Nothing is lost, but say it loudly.
      this.drone.log.error(`cannot record ${batch.length} outcome(s) in the local queue: ${reason(err)}`);
      return;
    } finally {
      this.inFlight--;
    }
    if (batch.length === 0) return;
    const types = this.drone.buffers.push(created);
    for (const o of batch) types.add(o.step.type);
    if (created.length > 0) faultPoint('hopped');
    if (finished.length > 0) faultPoint('recorded');
    for (const t of types) this.drone.buffers.feed(t, this.drone.state);
    this.finished(finished);
    this.drone.changed();
  }
}
