import os from 'node:os';
import { EventEmitter } from 'node:events';
import type { ResolvedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { type Finished, type Outcome, type Retention, type Step, type StepLog, type DataCondition } from '../queue/local/localQueue.js';
import { openLocalQueue, type DroneLocalQueue } from '../queue/local/localQueueThread.js';
import type { DebugSession, PipelineEdge, TaskRow, Trace } from '../api/contract.js';
import { PgQueue } from '../queue/pg/pgQueue.js';
import type { TaskListener } from '../queue/pg/listener.js';
import type { ClaimRequest, Completion, Failure } from '../queue/types.js';
import { WorkerPool, type RunResult } from '../workers/pool.js';
import type { InstanceInfo } from '../workers/types.js';
import { retryDelayMs } from '../util/backoff.js';
import { RateMeter } from './rates.js';
import { EdgeMeter } from './edges.js';
import { buildTrace, chainOnEdge, edgeProblem, taskRow, type RunningLookup } from './traces.js';
import { schemaProblem } from './schemas.js';
import { HotReloader } from '../workers/hotReload.js';
import { SingleFlight } from '../util/singleFlight.js';
import { faultPoint } from '../util/faults.js';
import { reason, redactUrl } from '../util/redact.js';
import { MAX_ERROR_BYTES, MAX_STACK_BYTES, cutNullable, cutText } from '../util/truncate.js';

/** paused: no claiming, no new work started; draining: no claiming, buffered work goes on. */
export type DroneState = 'starting' | 'running' | 'paused' | 'draining' | 'stopping' | 'stopped';

export interface TypeStats {
  type: string;
  instances: number;
  capacity: number;
  /** Steps of this type in the local queue: waiting plus handed to a worker. */
  buffered: number;
  running: number;
  done: number;
  failed: number;
  /** Steps finished per second, over the last 5 s. */
  rate: number;
  /** Steps finished in each of the last 60 seconds, oldest first. */
  history: number[];
}

export interface DroneSnapshot {
  id: string;
  host: string;
  pid: number;
  state: DroneState;
  startedAt: number;
  database: { url: string; connected: boolean; lastError: string | null; retryAt: number | null };
  types: TypeStats[];
  workers: InstanceInfo[];
  outbox: number;
  /** The live pipeline graph's edges (the nodes are `types`, and "global" for the global queue). */
  edges: PipelineEdge[];
  /** Worker modules restart when their file changes (dev mode). */
  hotReload: boolean;
}

/** The task explorer's query (see 'tasks.search' in core/api/contract.ts). */
export interface TaskSearch {
  type?: string;
  state?: TaskRow['state'];
  edge?: string;
  from?: number;
  to?: number;
  where?: DataCondition;
  before?: number;
  limit: number;
}

export interface DroneEvents {
  /** Something in the snapshot changed (throttle before sending anywhere). */
  changed: [];
  stopped: [];
}

export interface DroneOptions {
  config: ResolvedConfig;
  connectionString: string;
  logger: Logger;
  /** Restart a type's workers when their module file changes (dev mode). */
  hotReload?: boolean;
}

const OUTBOX_BATCH = 2000;

/**
 * What one trace answer carries of its steps' texts: each input, output, error and stack at most
 * 256 KiB, all of them together at most 2 MiB (then previews), and at most 1000 log lines (each
 * at most 4 KiB already). A client asking for many traces of 1 MiB steps then holds MiBs, not GiBs.
 */
const TRACE_LIMITS = { fieldChars: 256 * 1024, totalChars: 2 * 1024 * 1024 };
const TRACE_MAX_LOG_LINES = 1000;
/**
 * The task explorer examines at most this many steps per call (newest first), in windows of
 * SEARCH_WINDOW each an asynchronous call to the local queue's thread; a search that did not get
 * through the history answers with `next` to go on from.
 */
const SEARCH_SCAN_STEPS = 5000;
const SEARCH_WINDOW = 1000;

/**
 * One drone: claims tasks of the types it serves into its local queue, runs them in worker
 * processes, follows `local:` chains, and reports outcomes back to the global queue — all in batches.
 */
export class Drone extends EventEmitter<DroneEvents> {
  readonly config: ResolvedConfig;
  log: Logger;
  readonly queue: PgQueue;
  readonly pool: WorkerPool;
  private local: DroneLocalQueue | null = null;
  private listener: TaskListener | null = null;
  id = '';
  state: DroneState = 'starting';
  readonly startedAt = Date.now();

  /** Steps waiting for a worker, per type, in order. Mirrors the queued rows of the local queue. */
  private readonly pending = new Map<string, Step[]>();
  private readonly counters = new Map<string, { done: number; failed: number; rate: RateMeter }>();
  /** Types whose last claim came back short: no point asking again until a NOTIFY or the poll. */
  private readonly drained = new Set<string>();
  private outcomes: Outcome[] = [];
  private outcomesScheduled = false;
  /** Batches of outcomes posted to the local queue and not yet committed. */
  private recordsInFlight = 0;
  private lastRecordAt = 0;
  /** Chains that ended, recorded in the local queue, waiting for Postgres to acknowledge them. */
  private outbox: Finished[] = [];
  /** The one loop that talks to Postgres on the hot path: claims and acknowledgements. */
  private readonly syncer = new SingleFlight(() => this.sync());
  private timers: NodeJS.Timeout[] = [];
  private lastRescue = 0;
  private lastPrune = 0;
  private dbConnected = false;
  private dbError: string | null = null;
  private dbRetryAt: number | null = null;
  private dbLoggedAt = 0;
  private beating = false;
  /** A claim or give-back got no answer: Postgres may hold claims of this drone that its local queue does not. */
  private claimsUnsure = false;
  private stopPromise: Promise<void> | null = null;
  readonly edges = new EdgeMeter();
  /** Workers' log lines of running steps, written with the next batch of outcomes. */
  private stepLogs: StepLog[] = [];
  private hotReloader: HotReloader | null = null;
  /** Per type: when a claimed task's data was last checked against the type's schema (Infinity: warned once, done). */
  private readonly schemaChecked = new Map<string, number>();

  constructor(private readonly opts: DroneOptions) {
    super();
    this.config = opts.config;
    this.log = opts.logger;
    this.queue = new PgQueue({
      connectionString: opts.connectionString,
      schema: opts.config.queue.config.schema,
      poolSize: opts.config.queue.config.poolSize,
      asyncClaimCommit: opts.config.queue.config.asyncClaimCommit,
      onError: (err) => this.dbDown(err),
    });
    this.pool = new WorkerPool(opts.config.workers, this.log);
    for (const type of this.pool.types()) {
      this.pending.set(type, []);
      this.counters.set(type, { done: 0, failed: 0, rate: new RateMeter() });
    }
    this.pool.on('results', (r) => this.onResults(r));
    this.pool.on('requeue', (steps) => this.requeue(steps));
    this.pool.on('ready', (type) => this.dispatch(type));
    this.pool.on('stepLog', (line) => {
      this.stepLogs.push(line);
      this.scheduleOutcomes();
    });
  }

  capacity(type: string): number {
    return this.config.maxPerWorker * this.pool.instanceCount(type);
  }

  buffered(type: string): number {
    return (this.pending.get(type)?.length ?? 0) + this.pool.inflightCount(type);
  }

  /** Opens the local queue, starts the workers, takes back what this drone held, then starts claiming. */
  async start(): Promise<void> {
    const cfg = this.config;
    for (const w of cfg.warnings) this.log.warn(w);
    try {
      this.local = openLocalQueue(cfg.localQueuePath);
    } catch (err) {
      await this.abandon();
      throw err;
    }
    this.id = this.local.droneId(cfg.alias);
    this.log = this.log.child({ drone: this.id });
    this.pool.log = this.log;
    this.log.info(`drone ${this.id} starting: types ${this.pool.types().join(', ') || '(none)'}; local queue ${this.local.path}`);
    try {
      await this.pool.start();
      await this.connect();
      await this.recover();
    } catch (err) {
      await this.abandon();
      throw err;
    }
    this.listener = this.queue.listener();
    this.listener.on('notify', (type) => {
      if (!this.pending.has(type)) return;
      this.drained.delete(type);
      this.schedulePump();
    });
    this.listener.on('connected', () => {
      this.drained.clear();
      this.schedulePump();
    });
    this.listener.on('disconnected', (err) => this.log.warn(`lost the LISTEN connection (${reason(err)}); reconnecting, polling every ${cfg.pollIntervalMs} ms meanwhile`));
    this.listener.start();
    this.every(cfg.pollIntervalMs, () => {
      this.drained.clear();
      this.schedulePump();
      this.pruneHistory();
    });
    this.every(Math.max(200, Math.floor(cfg.leaseMs / 3)), () => void this.beat());
    if (this.opts.hotReload) {
      this.hotReloader = new HotReloader(this.pool, this.log, cfg.shutdownGraceMs);
      this.hotReloader.start();
    }
    this.state = 'running';
    this.log.info(`drone ${this.id} running on ${redactUrl(this.opts.connectionString)}, schema ${cfg.queue.config.schema}`);
    this.schedulePump();
    this.changed();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    this.timers.push(t);
  }

  /** Migrates and registers; while the database is unreachable, says so and keeps trying. */
  private async connect(): Promise<void> {
    let delay = 500;
    for (;;) {
      try {
        await this.queue.migrate();
        await this.queue.heartbeat(this.droneRow(), this.config.leaseMs);
        this.dbUp();
        return;
      } catch (err) {
        if (!isConnectionError(err)) throw new Error(`database ${redactUrl(this.opts.connectionString)}: ${reason(err)}`);
        this.dbDown(err as Error, delay);
        if (this.state === 'stopping') throw new Error('stopped before the database was reachable');
        await sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  /** After a restart: keep the chains Postgres still lets us hold, give back what we claimed but never stored. */
  private async recover(): Promise<void> {
    const local = this.local!;
    const held = local.heldRootIds();
    const ours = await this.queue.reclaim(this.id, held, this.config.leaseMs);
    const lost = held.filter((id) => !ours.has(id));
    if (lost.length > 0) {
      local.forget(lost);
      this.log.warn(`${lost.length} task(s) in the local queue were taken by another drone while this one was down; dropped them here`);
    }
    const released = await this.queue.releaseAllExcept(this.id, [...ours]);
    if (released > 0) this.log.info(`gave back ${released} task(s) claimed before a crash but never buffered`);
    const queued = local.queued();
    for (const step of queued) {
      const list = this.pending.get(step.type);
      if (list) list.push(step);
      else this.outcomes.push(this.failure(step, `this drone has no worker for type ${JSON.stringify(step.type)} any more`));
    }
    this.outbox = local.finished();
    if (queued.length > 0 || this.outbox.length > 0) {
      this.log.info(`resuming ${queued.length} buffered step(s) and ${this.outbox.length} unacknowledged outcome(s) from the local queue`);
    }
    if (this.outcomes.length > 0) this.scheduleOutcomes();
    for (const type of this.pending.keys()) this.dispatch(type);
  }

  private droneRow() {
    return { id: this.id, host: os.hostname(), pid: process.pid, taskTypes: this.pool.types(), startedAt: new Date(this.startedAt) };
  }

  private async beat(): Promise<void> {
    // One at a time: while a heartbeat waits for its answer, more of them would only pile up.
    if (this.beating) return;
    this.beating = true;
    // A stalled connection never fails by itself; a heartbeat that gets no answer in time means the
    // database is unreachable for this drone, and the snapshot must say so.
    const patienceMs = Math.max(200, Math.floor(this.config.leaseMs / 6));
    const watchdog = setTimeout(() => this.dbDown(new Error(`no answer from the database within ${patienceMs} ms`)), patienceMs);
    try {
      // Only the leases of tasks the local queue holds are extended: see heartbeat() in core/queue/pg/leases.ts.
      await this.queue.heartbeat(this.droneRow(), this.config.leaseMs, this.local?.heldRootIds());
      clearTimeout(watchdog);
      this.dbUp();
    } catch (err) {
      this.dbDown(err as Error);
      return;
    } finally {
      clearTimeout(watchdog);
      this.beating = false;
    }
    // The rescue pass runs outside the heartbeat's turn, so a slow one never delays the next heartbeat.
    if (Date.now() - this.lastRescue > this.config.leaseMs / 2) {
      this.lastRescue = Date.now();
      try {
        const rescued = await this.queue.rescueExpired();
        if (rescued.length > 0) {
          this.log.warn(`rescued ${rescued.length} task(s) whose drone stopped heartbeating`);
          this.drained.clear();
          this.schedulePump();
        }
      } catch (err) {
        this.dbDown(err as Error);
      }
    }
  }

  private dbUp(): void {
    if (!this.dbConnected) {
      if (this.dbError) this.log.info(`database reachable again: ${redactUrl(this.opts.connectionString)}`);
      this.dbConnected = true;
      this.dbError = null;
      this.dbRetryAt = null;
      this.changed();
    }
  }

  private dbDown(err: Error, retryMs = this.config.pollIntervalMs): void {
    const msg = reason(err);
    // Once when it goes away; then only when the reason changes, at most every 10 s (a broken
    // connection fails every query in flight, each with its own wording).
    if (this.dbConnected || (this.dbError !== msg && Date.now() - this.dbLoggedAt > 10_000)) {
      this.dbLoggedAt = Date.now();
      this.log.error(`database unreachable: ${redactUrl(this.opts.connectionString)}: ${msg}; retrying in ${Math.round(retryMs / 100) / 10} s`);
    }
    this.dbConnected = false;
    this.dbError = msg;
    this.dbRetryAt = Date.now() + retryMs;
    this.changed();
  }

  /** Something changed that may let the drone claim, or acknowledge: run the loop (again). */
  schedulePump(): void {
    this.syncer.trigger();
  }

  /**
   * Claims and acknowledgements, one at a time on one connection, in batches: each round sends the
   * outcomes that need their own statements (failures, postbacks), then one statement that
   * acknowledges the plain completions and claims for every type with room. Rounds go on while
   * the outbox holds more, or a claim got all it asked for and there is room for more.
   */
  private async sync(): Promise<void> {
    while (this.local) {
      const special: Finished[] = [];
      const plain: Finished[] = [];
      for (const f of this.outbox) {
        if (f.state === 'done' && f.postback === null) {
          if (plain.length < OUTBOX_BATCH) plain.push(f);
        } else if (special.length < OUTBOX_BATCH) special.push(f);
      }
      if (special.length > 0 && !(await this.sendOutcomes(special))) return;
      const wants = this.state === 'running' ? this.wants() : [];
      if (wants.length === 0 && plain.length === 0) return;
      const cold = wants.filter((w) => this.buffered(w.type) === 0 && w.limit < this.capacity(w.type)).map((w) => w.type);
      if (!(await this.claimAndAck(wants, plain))) return;
      // A cold buffer's small first claim that came back full: the rest of the buffer follows at once.
      if (this.outbox.length === 0 && !cold.some((t) => !this.drained.has(t))) return;
    }
  }

  /**
   * Types with room in their buffer, and how much to ask for. An empty buffer first asks for what
   * its workers can start on at once (twice their prefetch): a burst then starts running after a
   * small claim rather than after a whole buffer's worth, and the rest follows while they work.
   */
  private wants(): ClaimRequest[] {
    const wants: ClaimRequest[] = [];
    for (const type of this.pending.keys()) {
      if (this.drained.has(type)) continue;
      const buffered = this.buffered(type);
      const capacity = this.capacity(type);
      const prefetch = this.pool.prefetchTotal(type);
      const free = capacity - buffered;
      if (buffered === 0) {
        if (free > 0) wants.push({ type, limit: Math.min(free, 2 * prefetch) });
        continue;
      }
      // A buffer with work in it waits until a tenth of it is free (or its workers' prefetch):
      // every claim is planned afresh (see PgQueue), so a claim per handful of tasks would cost more.
      if (free >= Math.max(1, Math.min(Math.floor(capacity / 10), prefetch))) wants.push({ type, limit: free });
    }
    return wants;
  }

  /** One statement: acknowledges `acks`, claims what `wants` asks; one local transaction for what it returns. */
  private async claimAndAck(wants: ClaimRequest[], acks: Finished[]): Promise<boolean> {
    if (wants.length > 0 && this.claimsUnsure && !(await this.giveBackUnheld())) return false;
    let claimed;
    try {
      // With nothing to claim, the plain delete: a statement far cheaper to plan than the claim.
      claimed = wants.length === 0
        ? (await this.queue.complete(this.id, acks.map((f) => ({ id: f.rootId, resultJson: 'null', postback: null }))), [])
        : await this.queue.claim(this.id, wants, this.config.leaseMs, acks.map((f) => f.rootId));
      this.dbUp();
    } catch (err) {
      // The connection may have broken after Postgres committed the claim: settle that first next
      // time. (Acknowledgements are sent again; deleting a deleted task changes nothing.)
      if (wants.length > 0) this.claimsUnsure = true;
      this.dbDown(err as Error);
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
    for (const [type, n] of got) this.edges.claimed(type, n);
    for (const w of wants) if ((got.get(w.type) ?? 0) < w.limit) this.drained.add(w.type);
    if (claimed.length === 0) return true;
    if (this.state !== 'running') {
      // Stopping or paused while the claim was in flight: give it straight back.
      await this.queue.release(this.id, claimed.map((t) => t.id)).catch((err) => this.releaseFailed(err));
      return true;
    }
    let steps: Step[];
    try {
      // Committed before any worker sees them; the drone's thread does other work meanwhile.
      steps = await this.local!.insertClaimed(claimed);
    } catch (err) {
      this.log.error(`cannot buffer ${claimed.length} claimed task(s) in the local queue: ${reason(err)}; giving them back`);
      await this.queue.release(this.id, claimed.map((t) => t.id)).catch((e) => this.releaseFailed(e));
      return true;
    }
    faultPoint('buffered');
    this.log.debug(`claimed ${claimed.length} task(s)`);
    for (const s of steps) this.pending.get(s.type)!.push(s);
    this.sampleSchemas(steps);
    for (const type of got.keys()) this.dispatch(type);
    this.changed();
    return true;
  }

  /**
   * Gives back what Postgres says this drone holds but its local queue does not: tasks of a claim
   * whose answer was lost, or of a give-back that failed. Runs inside the pump, so no claim is in
   * flight. (Should a lost claim commit only after this, its lease runs out: heartbeats extend only
   * what the local queue holds.)
   */
  private async giveBackUnheld(): Promise<boolean> {
    try {
      const n = await this.queue.releaseAllExcept(this.id, this.local!.heldRootIds());
      this.claimsUnsure = false;
      if (n > 0) this.log.warn(`gave back ${n} task(s) claimed by a statement whose answer was lost`);
      return true;
    } catch (err) {
      this.dbDown(err as Error);
      return false;
    }
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
      const schema = this.pool.schema(s.type);
      const problem = schema === null ? null : schemaProblem(schema, s.dataJson);
      if (problem === null) continue;
      this.schemaChecked.set(s.type, Infinity);
      this.log.warn(`a ${s.type} task does not match the type's payload schema: ${problem} (task ${s.rootId}; said once per type)`, { task: s.rootId, type: s.type });
    }
  }

  private releaseFailed(err: Error): void {
    this.claimsUnsure = true;
    this.dbDown(err);
  }

  private dispatch(type: string): void {
    const list = this.pending.get(type);
    if (!list || list.length === 0 || this.state === 'paused') return;
    if (this.state === 'stopping') {
      // While stopping, only chains already under way go on; fresh tasks wait to be given back.
      const hops = list.filter((s) => s.parentId !== null);
      if (hops.length === 0) return;
      const rest = list.filter((s) => s.parentId === null);
      this.pool.fill(type, hops);
      list.length = 0;
      list.push(...hops, ...rest);
      return;
    }
    this.pool.fill(type, list);
  }

  private requeue(steps: Step[]): void {
    const types = new Set<string>();
    for (const s of steps.reverse()) {
      this.pending.get(s.type)?.unshift(s);
      types.add(s.type);
    }
    for (const t of types) this.dispatch(t);
  }

  private failure(step: Step, error: string, stack: string | null = null): Outcome {
    // Recorded in the local queue and sent to Postgres: bounded whoever wrote it.
    error = cutText(error, MAX_ERROR_BYTES);
    stack = cutNullable(stack, MAX_STACK_BYTES);
    return { kind: 'failed', step, error, stack, retryInMs: retryDelayMs(step.attempt, this.config.retry.baseMs, this.config.retry.maxMs) };
  }

  private onResults(results: RunResult[]): void {
    const now = Date.now();
    for (const { step, result, startedAt } of results) {
      const c = this.counters.get(step.type);
      c?.rate.add(1, now);
      if (step.parentId === null) {
        if (startedAt !== null) this.edges.claimLatency(step.type, startedAt - step.createdAt);
      } else if (step.parentType !== undefined) {
        this.edges.hop(step.parentType, step.type, startedAt === null ? null : startedAt - step.queuedAt, now);
      }
      let outcome: Outcome;
      if (!result.ok) {
        if (c) c.failed++;
        this.log.warn(`task failed (attempt ${step.attempt} of ${step.maxAttempts}): ${result.error}`, { task: step.rootId, type: step.type });
        outcome = this.failure(step, result.error, result.stack);
      } else if (result.next !== undefined) {
        if (c) c.done++;
        outcome = this.pending.has(result.next)
          ? { kind: 'hop', step, nextType: result.next, nextDataJson: result.json }
          : this.failure(step, `the ${step.type} worker chained to local:${result.next}, but this drone has no worker for ${JSON.stringify(result.next)}`);
      } else {
        if (c) c.done++;
        outcome = { kind: 'done', step, resultJson: result.json };
      }
      outcome.startedAt = startedAt;
      this.outcomes.push(outcome);
    }
    this.scheduleOutcomes();
  }

  private scheduleOutcomes(): void {
    if (this.outcomesScheduled) return;
    this.outcomesScheduled = true;
    // Everything that finished in this turn of the event loop is written in one transaction; while
    // results stream in (the last write was under a millisecond ago), a millisecond's worth is.
    if (performance.now() - this.lastRecordAt < 1) setTimeout(() => void this.recordOutcomes(), 1);
    else setImmediate(() => void this.recordOutcomes());
  }

  private async recordOutcomes(): Promise<void> {
    this.outcomesScheduled = false;
    this.lastRecordAt = performance.now();
    const batch = this.outcomes;
    const logs = this.stepLogs;
    this.outcomes = [];
    this.stepLogs = [];
    if ((batch.length === 0 && logs.length === 0) || !this.local) return;
    let created: Step[];
    let finished: Finished[];
    this.recordsInFlight++;
    try {
      // Committed before Postgres hears of them (the outbox) and before a hop's next step runs.
      ({ created, finished } = await this.local.record(batch, logs));
    } catch (err) {
      // The steps stay queued in the file; on restart they run again. Nothing is lost, but say it loudly.
      this.log.error(`cannot record ${batch.length} outcome(s) in the local queue: ${reason(err)}`);
      return;
    } finally {
      this.recordsInFlight--;
    }
    if (batch.length === 0) return;
    const types = new Set<string>();
    for (const s of created) {
      this.pending.get(s.type)!.push(s);
      types.add(s.type);
    }
    for (const o of batch) types.add(o.step.type);
    for (const f of finished) this.outbox.push(f);
    if (created.length > 0) faultPoint('hopped');
    if (finished.length > 0) faultPoint('recorded');
    for (const t of types) this.dispatch(t);
    this.schedulePump();
    this.changed();
  }

  /** Failures, and completions with a postback: their own statements. False when Postgres is unreachable. */
  private async sendOutcomes(batch: Finished[]): Promise<boolean> {
    const done: Completion[] = [];
    const failed: Failure[] = [];
    for (const f of batch) {
      if (f.state === 'done') done.push({ id: f.rootId, resultJson: f.resultJson ?? 'null', postback: f.postback });
      else failed.push({ id: f.rootId, error: f.error ?? 'failed', stack: f.stack, retryInMs: f.retryInMs });
    }
    try {
      await this.queue.complete(this.id, done);
      await this.queue.fail(this.id, failed);
      this.dbUp();
    } catch (err) {
      if (isConnectionError(err)) {
        this.dbDown(err as Error);
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
    if (!this.local || entries.length === 0) return;
    const now = Date.now();
    for (const f of entries) if (f.state === 'done' && f.postback !== null) this.edges.postback(f.type, f.postback, now - f.finishedAt, now);
    // History is trimmed as fast as it grows. Nothing waits for this commit: should the drone die
    // first, it sends the acknowledgement again after its restart, which changes nothing.
    this.local.ack(entries, this.config.localQueue.history.keepSteps).catch((err) => this.log.warn(`could not mark ${entries.length} acknowledged outcome(s) in the local queue: ${reason(err)}`));
    const gone = new Set(entries);
    this.outbox = this.outbox.filter((f) => !gone.has(f));
  }

  private retention(): Retention {
    const h = this.config.localQueue.history;
    return { keepSteps: h.keepSteps, keepMs: h.keepHours * 3_600_000 };
  }

  /** Trims history that aged out while nothing was acknowledged (a scan of the file: every 10 s at most). */
  private pruneHistory(): void {
    const now = Date.now();
    if (now - this.lastPrune < 10_000) return;
    this.lastPrune = now;
    try {
      this.local?.prune(this.retention());
    } catch (err) {
      this.log.warn(`could not trim the local queue's history: ${reason(err)}`);
    }
  }

  /**
   * Sends outcomes one by one. A result Postgres refuses turns the task into a failure, with the
   * reason (sent on the next pass); a failure it refuses is dropped here (its lease will expire).
   */
  private async isolate(batch: Finished[]): Promise<void> {
    for (const f of batch) {
      try {
        if (f.state === 'done') await this.queue.complete(this.id, [{ id: f.rootId, resultJson: f.resultJson ?? 'null', postback: f.postback }]);
        else await this.queue.fail(this.id, [{ id: f.rootId, error: f.error ?? 'failed', stack: f.stack, retryInMs: f.retryInMs }]);
        this.acknowledged([f]);
      } catch (err) {
        if (isConnectionError(err)) return;
        if (f.state === 'done') {
          this.log.error(`Postgres refused the result of task ${f.rootId}: ${reason(err)}; failing the task instead`, { task: f.rootId });
          const error = `the result could not be stored: ${reason(err)}`;
          this.local?.refail(f.rootId, error, 0);
          Object.assign(f, { state: 'failed', resultJson: null, error, stack: null, retryInMs: 0 });
        } else {
          this.log.error(`Postgres refused the failure of task ${f.rootId}: ${reason(err)}; dropping it here (its lease will expire)`, { task: f.rootId });
          this.local?.forget([f.rootId]);
          this.outbox = this.outbox.filter((x) => x !== f);
        }
      }
    }
  }

  /** Stops claiming and starting buffered work; running tasks finish. */
  pause(): void {
    if (this.state !== 'running' && this.state !== 'draining') return;
    this.state = 'paused';
    this.log.info('paused: no claiming, no new work started');
    this.changed();
  }

  /** Stops claiming; what is buffered is worked off. */
  drain(): void {
    if (this.state !== 'running' && this.state !== 'paused') return;
    this.state = 'draining';
    this.log.info(`draining: no claiming; working off ${[...this.pending.keys()].reduce((n, t) => n + this.buffered(t), 0)} buffered task(s)`);
    for (const type of this.pending.keys()) this.dispatch(type);
    this.changed();
  }

  resume(): void {
    if (this.state !== 'paused' && this.state !== 'draining') return;
    this.state = 'running';
    this.log.info('resumed');
    this.drained.clear();
    for (const type of this.pending.keys()) this.dispatch(type);
    this.schedulePump();
    this.changed();
  }

  restartWorker(id: string): Promise<void> {
    return this.pool.restartInstance(id, this.config.shutdownGraceMs);
  }

  stopWorker(id: string): Promise<void> {
    return this.pool.stopInstance(id, this.config.shutdownGraceMs);
  }

  startWorker(id: string): Promise<void> {
    return this.pool.startInstance(id);
  }

  snapshot(): DroneSnapshot {
    const now = Date.now();
    const types: TypeStats[] = [...this.pending.keys()].map((type) => ({
      type,
      rate: this.counters.get(type)!.rate.perSecond(5, now),
      history: this.counters.get(type)!.rate.history(60, now),
      instances: this.pool.instanceCount(type),
      capacity: this.capacity(type),
      buffered: this.buffered(type),
      running: this.pool.runningCount(type),
      done: this.counters.get(type)!.done,
      failed: this.counters.get(type)!.failed,
    }));
    return {
      id: this.id, host: os.hostname(), pid: process.pid, state: this.state, startedAt: this.startedAt,
      database: { url: redactUrl(this.opts.connectionString), connected: this.dbConnected, lastError: this.dbError, retryAt: this.dbRetryAt },
      types, workers: this.pool.instances(), outbox: this.outbox.length, edges: this.edges.snapshot(now), hotReload: this.hotReloader !== null,
    };
  }

  private open(): DroneLocalQueue {
    if (!this.local) throw new Error('the drone is not running');
    return this.local;
  }

  /** When a step a worker holds began running (see RunningLookup). */
  private readonly running: RunningLookup = (s) => this.pool.startedAt(s.type, s.id);

  /**
   * Every step of one global task kept in this drone's local queue, with its logs; null when none
   * is. Texts are cut to TRACE_LIMITS, each with a marker saying how much (replays use the stored
   * data, not what a trace shows).
   */
  async trace(traceId: string): Promise<Trace | null> {
    const local = this.open();
    const rows = await local.trace(traceId, TRACE_LIMITS);
    if (rows.length === 0) return null;
    const root = rows.find((r) => r.parentId === null) ?? rows[0];
    const [logs, replays] = await Promise.all([local.logsOf(rows.map((r) => r.id), TRACE_MAX_LOG_LINES), local.replaysOf(traceId)]);
    const schema = this.pool.schema(root.type);
    // The schema is checked against the whole data, which a cut input is not (at most 1 MiB, one step).
    const data = schema === null ? root.dataJson : ((await local.stepAsync(root.id))?.dataJson ?? root.dataJson);
    return buildTrace(traceId, rows, logs, this.running, replays, schemaProblem(schema, data));
  }

  /**
   * The task explorer: chains of this drone by their first step, newest first. Type, time and the
   * JSON condition are SQL on the first step; state and edge are checked on the chain here. One
   * call examines at most SEARCH_SCAN_STEPS steps, in windows that are each an asynchronous call to
   * the local queue's thread (the drone's thread goes on meanwhile); `next` says where to go on.
   */
  async searchTasks(q: TaskSearch): Promise<{ rows: TaskRow[]; next: number | null }> {
    const local = this.open();
    if (q.edge !== undefined) {
      const problem = edgeProblem(q.edge);
      if (problem) throw new Error(problem);
    }
    const byChain = q.state !== undefined || q.edge !== undefined;
    const chunk = byChain ? Math.max(200, q.limit * 4) : q.limit;
    const rows: TaskRow[] = [];
    let before = q.before;
    let scanned = 0;
    while (scanned < SEARCH_SCAN_STEPS) {
      const top = before;
      const { found, more } = await local.searchRoots({ type: q.type, from: q.from, to: q.to, where: q.where, before, scan: SEARCH_WINDOW, limit: chunk });
      for (const { root, chain } of found) {
        if (q.edge !== undefined && !chainOnEdge(q.edge, root, chain)) continue;
        const row = taskRow(root, chain, this.running);
        if (q.state !== undefined && row.state !== q.state) continue;
        rows.push(row);
        if (rows.length === q.limit) return { rows, next: row.stepId };
      }
      if (found.length === chunk) before = found[found.length - 1].root.id;
      else if (more !== null) before = more;
      else return { rows, next: null };
      // A full chunk may end inside the window: count what the window covered down to where it goes on.
      scanned += top === undefined ? SEARCH_WINDOW : Math.min(SEARCH_WINDOW, top - before);
    }
    return { rows, next: before ?? null };
  }

  /**
   * Enqueues a recorded step again as a new global task of its type, with its recorded input or
   * `data`, the same postback as the task it belongs to, linked to it ("traceId:stepId").
   */
  async replay(stepId: number, data?: unknown): Promise<{ id: string }> {
    const local = this.open();
    const step = local.step(stepId);
    if (!step) throw new Error(`stepId: no step ${stepId} in this drone's local queue (never here, or no longer kept)`);
    if (!this.pool.serves(step.type)) throw new Error(`stepId: step ${stepId} is of type ${JSON.stringify(step.type)}, which this drone has no worker for any more`);
    const root = step.parentId === null ? step : (await local.trace(step.rootId, TRACE_LIMITS)).find((r) => r.parentId === null) ?? step;
    const [id] = await this.queue.enqueue([{
      type: step.type, data: data === undefined ? JSON.parse(step.dataJson) : data, postback: root.postback, replayOf: `${step.rootId}:${step.id}`,
    }]);
    local.addReplay(id, step.rootId, step.id);
    this.log.info(`replaying step ${step.id} (${step.type}) of task ${step.rootId} as task ${id}${data === undefined ? '' : ', with edited data'}`, { task: id, type: step.type });
    return { id };
  }

  /**
   * "Debug this type": a worker instance with the Node inspector on loopback gets the next task of
   * it. The session's ws:// URL is the inspector's only key (it publishes no /json/list): it goes to
   * whoever may call the API, and nowhere else.
   */
  async debug(type: string): Promise<DebugSession> {
    const { instance, inspector, taskId } = await this.pool.debug(type);
    this.changed();
    return debugSession(type, instance, inspector, taskId);
  }

  async undebug(type: string): Promise<void> {
    await this.pool.undebug(type, this.config.shutdownGraceMs);
    this.changed();
  }

  /** The open debug session of a type, or null. */
  debugSession(type: string): DebugSession | null {
    const d = this.pool.debugInfo(type);
    return d?.inspector ? debugSession(type, d.instance, d.inspector, d.taskId) : null;
  }

  /** The payload schema a type's worker module exports, or null. */
  schema(type: string): unknown {
    if (!this.pool.serves(type)) throw new Error(`type: this drone has no worker for ${JSON.stringify(type)}; it has ${this.pool.types().join(', ') || 'none'}`);
    return this.pool.schema(type);
  }

  private changed(): void {
    this.emit('changed');
  }

  /**
   * Stops claiming, lets running work (and the chains it is in) finish within the grace period,
   * acknowledges what finished and gives the rest back to the global queue.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  /** A start that failed part-way: release whatever it had opened; nothing was claimed. */
  private async abandon(): Promise<void> {
    await this.pool.stop(0);
    this.local?.close();
    this.local = null;
    await this.queue.close().catch(() => {});
    this.state = 'stopped';
    this.stopPromise = Promise.resolve();
    this.emit('stopped');
  }

  private async doStop(): Promise<void> {
    this.state = 'stopping';
    this.hotReloader?.close();
    this.changed();
    for (const t of this.timers) clearInterval(t);
    await this.listener?.stop();
    const graceEnd = Date.now() + this.config.shutdownGraceMs;
    this.log.info(`stopping: waiting up to ${this.config.shutdownGraceMs} ms for ${this.pool.totalInflight()} running task(s)`);
    while (Date.now() < graceEnd && (this.pool.totalInflight() > 0 || this.outcomesScheduled || this.recordsInFlight > 0 || this.hasPendingHops())) {
      await sleep(20);
    }
    await this.pool.stop(Math.max(0, graceEnd - Date.now()));
    await this.recordOutcomes();
    while (this.recordsInFlight > 0) await sleep(5);
    while (this.syncer.busy) await sleep(10);
    await this.sync();
    const giveBack = new Set<string>();
    for (const list of this.pending.values()) for (const s of list) giveBack.add(s.rootId);
    if (giveBack.size > 0) {
      try {
        const n = await this.queue.release(this.id, [...giveBack]);
        this.local?.forget([...giveBack]);
        this.log.info(`gave back ${n} unstarted task(s) to the global queue`);
      } catch (err) {
        this.log.error(`could not give back ${giveBack.size} task(s) (${reason(err)}); they stay in the local queue for the next start`);
      }
    }
    await this.queue.deregister(this.id).catch(() => {});
    await this.queue.close().catch(() => {});
    this.local?.close();
    this.local = null;
    this.state = 'stopped';
    this.log.info(`drone ${this.id} stopped`);
    this.emit('stopped');
  }

  private hasPendingHops(): boolean {
    for (const list of this.pending.values()) if (list.some((s) => s.parentId !== null)) return true;
    return false;
  }
}

function debugSession(type: string, instance: string, a: { host: string; port: number; webSocketUrl: string }, taskId: string | null): DebugSession {
  const ws = a.webSocketUrl.slice('ws://'.length);
  return {
    type, instance, host: a.host, port: a.port, webSocketUrl: a.webSocketUrl,
    devtoolsUrl: `devtools://devtools/bundled/js_app.html?ws=${ws}`, taskId,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Errors that mean "the database is not there right now", as opposed to a bug or bad SQL. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (!e) return false;
  // ENOENT: a Unix socket (the embedded server's) that is gone while its server is down.
  if (typeof e.code === 'string' && (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN|ENOENT)$/.test(e.code) || /^(08|57P0)/.test(e.code))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|the database system is (starting up|shutting down)|Client has encountered a connection error/i.test(e.message ?? '');
}
