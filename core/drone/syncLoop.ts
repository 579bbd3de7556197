import type { Finished, Step } from '../queue/local/types.js';
import type { ClaimRequest, Completion, Failure } from '../queue/types.js';
import { SingleFlight } from '../util/singleFlight.js';
import { faultPoint } from '../util/faults.js';
import { reason } from '../util/redact.js';
import { planClaims } from './claimPlan.js';
import { isTransient } from './dbErrors.js';
import { schemaProblem } from './schemas.js';
import { NOT_RETRIED } from './outcomes.js';
import { TaskInputError } from '../queue/validate.js';
import type { DroneContext } from './ports.js';

/** Outcomes sent per statement. */
const OUTBOX_BATCH = 2000;

/**
 * The one loop that talks to Postgres on the hot path, one round trip at a time: each round sends
 * the outcomes that need statements of their own (failures, postbacks), then one statement that
 * acknowledges the plain completions and claims for every type with room. Rounds go on while the
 * outbox holds more, or a claim got all it asked for and there is room for more. `trigger()` asks
 * for a round; triggers during one make exactly one more.
 */
export class SyncLoop {
  /** Chains that ended, recorded in the local queue, waiting for Postgres to acknowledge them. */
  private outbox: Finished[] = [];
  /** A claim or give-back got no answer: Postgres may hold claims of this drone that its local queue does not. */
  private claimsUnsure = false;
  private readonly flight = new SingleFlight(() => this.run());
  /** Per type: when a claimed task's data was last checked against the type's schema (Infinity: warned once, done). */
  private readonly schemaChecked = new Map<string, number>();

  /** `failUnrun` fails a step without running it, as the outcome of its attempt. */
  constructor(
    private readonly drone: DroneContext,
    private readonly failUnrun: (step: Step, error: string) => void,
  ) {}

  trigger(): void {
    this.flight.trigger();
  }

  get busy(): boolean {
    return this.flight.busy;
  }

  get outboxSize(): number {
    return this.outbox.length;
  }

  /** Chains that ended (recorded locally): Postgres hears of them in the next round. */
  add(finished: Finished[]): void {
    for (const f of finished) this.outbox.push(f);
    this.trigger();
  }

  /** After a restart: what the local queue holds unacknowledged. */
  restore(finished: Finished[]): void {
    this.outbox = finished;
  }

  /** Runs the rounds; the drone's stop calls it directly for the last acknowledgements. */
  async run(): Promise<void> {
    const d = this.drone;
    while (d.local) {
      const special: Finished[] = [];
      const plain: Finished[] = [];
      for (const f of this.outbox) {
        if (f.state === 'done' && f.postback === null) {
          if (plain.length < OUTBOX_BATCH) plain.push(f);
        } else if (special.length < OUTBOX_BATCH) special.push(f);
      }
      if (special.length > 0 && !(await this.sendOutcomes(special))) return;
      const wants = d.state === 'running' ? planClaims(d.buffers.rooms()) : [];
      if (wants.length === 0 && plain.length === 0) return;
      if (!(await this.claimAndAck(wants, plain))) return;
      // A claim that came back full: there is more, and its buffer may have room for it already.
      if (this.outbox.length === 0 && wants.every((w) => d.buffers.isExhausted(w.type))) return;
    }
  }

  /** One statement: acknowledges `acks`, claims what `wants` asks; one local transaction for what it returns. */
  private async claimAndAck(wants: ClaimRequest[], acks: Finished[]): Promise<boolean> {
    const d = this.drone;
    if (wants.length > 0 && this.claimsUnsure && !(await this.giveBackUnheld())) return false;
    let claimed;
    const mark = d.buffers.newsMark();
    d.buffers.claiming(wants);
    const operation = wants.length === 0 ? 'acknowledge' : 'claim';
    try {
      // With nothing to claim, the plain delete: a statement far cheaper to plan than the claim.
      claimed =
        wants.length === 0
          ? (await d.queue.complete(
              d.id,
              acks.map((f) => ({ id: f.rootId, resultJson: 'null', postback: null })),
            ),
            [])
          : await d.queue.claim(
              d.id,
              wants,
              d.config.leaseMs,
              acks.map((f) => f.rootId),
            );
      d.health.up(operation);
    } catch (err) {
      // The connection may have broken after Postgres committed the claim: settle that first next
      // time. (Acknowledgements are sent again; deleting a deleted task changes nothing.)
      if (wants.length > 0) this.claimsUnsure = true;
      d.health.down(err, operation);
      return false;
    }
    if (acks.length > 0) {
      faultPoint('acked');
      this.acknowledged(acks);
    }
    if (wants.length === 0) return true;
    if (claimed.length > 0) faultPoint('claimed');
    const got = new Map<string, number>();
    for (const t of claimed) got.set(t.type, (got.get(t.type) ?? 0) + 1);
    for (const [type, n] of got) d.edges.claimed(type, n);
    for (const w of wants) if ((got.get(w.type) ?? 0) < w.limit) d.buffers.ranDry(w.type, mark);
    d.buffers.answered(wants, got);
    if (claimed.length === 0) return true;
    const giveBack = () =>
      d.queue.release(
        d.id,
        claimed.map((t) => t.id),
      );
    if (d.state !== 'running') {
      // Stopping or paused while the claim was in flight: give it straight back.
      await giveBack().catch((err) => this.releaseFailed(err));
      return true;
    }
    let steps: Step[];
    try {
      // Committed before any worker sees them; the drone's thread does other work meanwhile.
      steps = await d.local!.insertClaimed(claimed);
    } catch (err) {
      d.log.error(`cannot buffer ${claimed.length} claimed task(s) in the local queue: ${reason(err)}; giving them back`);
      await giveBack().catch((err) => this.releaseFailed(err));
      return true;
    }
    faultPoint('buffered');
    d.log.debug(`claimed ${claimed.length} task(s)`);
    const unserved: Step[] = [];
    const types = d.buffers.push(steps, unserved);
    for (const s of unserved) {
      // Another drone may serve it: the failure is an attempt like any other, retried with backoff.
      this.failUnrun(s, `this drone has no worker for ${JSON.stringify(s.type)}, the step this task resumes at (an earlier attempt failed there)`);
    }
    this.sampleSchemas(steps);
    for (const type of types) d.buffers.feed(type, d.state);
    d.changed();
    return true;
  }

  /**
   * Gives back what Postgres says this drone holds but its local queue does not: tasks of a claim
   * whose answer was lost, or of a give-back that failed. Runs inside the loop, so no claim is in
   * flight. (Should a lost claim commit only after this, its lease runs out: heartbeats extend only
   * what the local queue holds.)
   */
  private async giveBackUnheld(): Promise<boolean> {
    const d = this.drone;
    let held: string[];
    try {
      held = d.local!.heldRootIds();
    } catch (err) {
      d.localQueueFailed(err, 'not claiming until it answers');
      return false;
    }
    try {
      const n = await d.queue.releaseAllExcept(d.id, held);
      this.claimsUnsure = false;
      if (n > 0) d.log.warn(`gave back ${n} task(s) claimed by a statement whose answer was lost`);
      d.health.up('release');
      return true;
    } catch (err) {
      d.health.down(err, 'release');
      return false;
    }
  }

  /** A give-back that failed: Postgres may still hold those tasks for this drone. */
  releaseFailed(err: Error): void {
    this.claimsUnsure = true;
    this.drone.health.down(err, 'release');
  }

  /**
   * Checks one claimed task per type and second at most against its type's payload schema, and
   * warns once per type about data that does not match (traces flag every such task when read).
   */
  private sampleSchemas(steps: Step[]): void {
    const now = Date.now();
    for (const s of steps) {
      const last = this.schemaChecked.get(s.type) ?? 0;
      if (now - last < 1000) continue;
      this.schemaChecked.set(s.type, now);
      const schema = this.drone.pool.schema(s.type);
      const problem = schema === null ? null : schemaProblem(schema, s.dataJson);
      if (problem === null) continue;
      this.schemaChecked.set(s.type, Infinity);
      this.drone.log.warn(`a ${s.type} task does not match the type's payload schema: ${problem} (task ${s.rootId}; said once per type)`, {
        task: s.rootId,
        type: s.type,
      });
    }
  }

  /** Failures, and completions with a postback: their own statements. False when Postgres is unreachable. */
  private async sendOutcomes(batch: Finished[]): Promise<boolean> {
    const d = this.drone;
    const done: Completion[] = [];
    const failed: Failure[] = [];
    for (const f of batch) {
      if (f.state === 'done') done.push(completionOf(f));
      else failed.push(failureOf(f));
    }
    try {
      await d.queue.complete(d.id, done);
      await d.queue.fail(d.id, failed);
      d.health.up('report outcomes');
    } catch (err) {
      if (isTransient(err)) {
        d.health.down(err, 'report outcomes');
        return false; // the poll timer tries again
      }
      // Postgres refused something in the batch: find it, so one bad outcome cannot hold up the rest.
      await this.isolate(batch);
      return true;
    }
    faultPoint('acked');
    this.acknowledged(batch);
    return true;
  }

  /** Postgres took these outcomes: they leave the outbox and become history in the local queue. */
  private acknowledged(entries: Finished[]): void {
    const d = this.drone;
    if (!d.local || entries.length === 0) return;
    const now = Date.now();
    for (const f of entries) if (f.state === 'done' && f.postback !== null) d.edges.postback(f.type, f.postback, now - f.finishedAt, now);
    // History is trimmed as fast as it grows. Nothing waits for this commit: should the drone die
    // first, it sends the acknowledgement again after its restart, which changes nothing.
    d.local
      .ack(entries, d.config.localQueue.history.keepSteps)
      .catch((err) => d.log.warn(`could not mark ${entries.length} acknowledged outcome(s) in the local queue: ${reason(err)}`));
    const gone = new Set(entries);
    this.outbox = this.outbox.filter((f) => !gone.has(f));
  }

  /**
   * Sends outcomes one by one. A result Postgres refuses turns the task into a failure, with the
   * reason (sent on the next pass): a final one when Postgres refused the value itself. A failure
   * it refuses goes again without its resume point (whose input may be what it refused), else is
   * dropped here (its lease will expire).
   */
  private async isolate(batch: Finished[]): Promise<void> {
    const d = this.drone;
    for (const f of batch) {
      for (;;) {
        try {
          if (f.state === 'done') await d.queue.complete(d.id, [completionOf(f)]);
          else await d.queue.fail(d.id, [failureOf(f)]);
          this.acknowledged([f]);
        } catch (err) {
          if (isTransient(err)) return;
          if (f.state === 'done') this.refail(f, err);
          else if (f.resumeType !== null) {
            d.log.warn(`Postgres refused the failure of task ${f.rootId}: ${reason(err)}; sending it without its resume point`, { task: f.rootId });
            Object.assign(f, { resumeType: null, resumeDataJson: null });
            continue;
          } else {
            d.log.error(`Postgres refused the failure of task ${f.rootId}: ${reason(err)}; dropping it here (its lease will expire)`, { task: f.rootId });
            d.local?.forget([f.rootId]);
            this.outbox = this.outbox.filter((x) => x !== f);
          }
        }
        break;
      }
    }
  }

  /** A result Postgres refused: the chain fails instead, where its last step ran (a retry by hand starts there). */
  private refail(f: Finished, err: unknown): void {
    const d = this.drone;
    const final = refusedForGood(err);
    d.log.error(`Postgres refused the result of task ${f.rootId}: ${reason(err)}; failing the task instead`, { task: f.rootId });
    const error = `the result could not be stored: ${reason(err)}${final ? NOT_RETRIED : ''}`;
    d.local?.refail(f.rootId, error, 0, final);
    const last = f.stepIds.length > 1 ? d.local?.step(f.stepIds[f.stepIds.length - 1]) : null;
    Object.assign(f, {
      state: 'failed',
      resultJson: null,
      error,
      stack: null,
      retryInMs: 0,
      final,
      resumeType: last?.type ?? null,
      resumeDataJson: last?.dataJson ?? null,
    });
  }
}

/**
 * Postgres refused a value as such (class 22, a data exception: JSON it cannot store; 54, a limit
 * exceeded), or the drone did before sending it: the same value would be refused on every attempt.
 */
function refusedForGood(err: unknown): boolean {
  if (err instanceof TaskInputError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}

const completionOf = (f: Finished): Completion => ({ id: f.rootId, resultJson: f.resultJson ?? 'null', postback: f.postback });
const failureOf = (f: Finished): Failure => ({
  id: f.rootId,
  error: f.error ?? 'failed',
  stack: f.stack,
  retryInMs: f.retryInMs,
  final: f.final,
  resumeType: f.resumeType,
  resumeDataJson: f.resumeDataJson,
});
