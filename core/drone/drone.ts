import os from 'node:os';
import { EventEmitter } from 'node:events';
import type { DatabaseSource, DroneSnapshot, DroneState, WakeupView } from '../api/types.js';
import type { ResolvedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Retention, Step } from '../queue/local/types.js';
import type { DroneLocalQueue } from '../queue/local/droneLocalQueue.js';
import type { GlobalQueue } from '../queue/globalQueue.js';
import { HotReloader } from '../workers/hotReload.js';
import { LogThrottle } from '../log/throttle.js';
import { reason } from '../util/redact.js';
import { Buffers } from './buffers.js';
import { DatabaseHealth } from './dbHealth.js';
import { EdgeMeter } from './edges.js';
import { DroneExplorer } from './explorer.js';
import { Heartbeat } from './heartbeat.js';
import { OutcomeRecorder } from './outcomes.js';
import type { DroneContext } from './ports.js';
import type { WorkerPoolLike } from '../workers/poolLike.js';
import { SyncLoop } from './syncLoop.js';
import { WakeupWatch } from './wakeupWatch.js';

export interface DroneEvents {
  /** Something in the snapshot changed (throttle before sending anywhere). */
  changed: [];
  stopped: [];
  failure: [{ type: string; error: string; stack: string | null }];
}

export interface DroneOptions<Q extends GlobalQueue = GlobalQueue> {
  config: ResolvedConfig;
  logger: Logger;
  queue: Q;
  pool: WorkerPoolLike;
  /** Opens the local queue file (at start). */
  openLocalQueue: (file: string) => DroneLocalQueue;
  /** Where the global queue is, for logs and the snapshot: no password, no token. */
  databaseLabel: string;
  /** Where that address came from, for the snapshot. */
  databaseSource: DatabaseSource;
  /** Restart a type's workers when their module file changes (dev mode). */
  hotReload?: boolean;
}

/**
 * One drone: claims tasks of the types it serves into its local queue, runs them in worker
 * processes, follows `local:` chains, and reports outcomes back to the global queue — all in
 * batches. This class is its life cycle (start, pause, drain, resume, stop); the work is in its
 * parts: the claim/acknowledge loop (syncLoop.ts), outcome recording (outcomes.ts), leases
 * (heartbeat.ts), database health (dbHealth.ts), the per-type buffers (buffers.ts) and the
 * pipeline debugger's queries (explorer.ts). createDrone.ts builds one on the queue module its
 * config names.
 */
export class Drone<Q extends GlobalQueue = GlobalQueue> extends EventEmitter<DroneEvents> implements DroneContext {
  readonly config: ResolvedConfig;
  log: Logger;
  readonly queue: Q;
  readonly pool: WorkerPoolLike;
  readonly buffers: Buffers;
  readonly edges = new EdgeMeter();
  readonly health: DatabaseHealth;
  readonly explorer: DroneExplorer;
  id = '';
  state: DroneState = 'starting';
  readonly startedAt = Date.now();
  local: DroneLocalQueue | null = null;

  private readonly sync: SyncLoop;
  private readonly outcomes: OutcomeRecorder;
  private readonly heartbeat: Heartbeat;
  private wakeups: WakeupWatch | null = null;
  private timers: NodeJS.Timeout[] = [];
  private stopPromise: Promise<void> | null = null;
  private hotReloader: HotReloader | null = null;
  private readonly localQueueComplaints = new LogThrottle();

  constructor(private readonly opts: DroneOptions<Q>) {
    super();
    this.config = opts.config;
    this.log = opts.logger;
    this.queue = opts.queue;
    this.pool = opts.pool;
    this.buffers = new Buffers(this.pool, this.config.maxPerWorker);
    this.health = new DatabaseHealth(
      opts.databaseLabel,
      () => this.log,
      this.config.pollIntervalMs,
      () => this.changed(),
    );
    this.sync = new SyncLoop(this, (step, error) => this.outcomes.fail(step, error));
    this.outcomes = new OutcomeRecorder(this, (finished) => {
      this.buffers.chainsEnded(finished);
      this.sync.add(finished);
    });
    this.heartbeat = new Heartbeat(this, this.startedAt, () => this.wake());
    this.explorer = new DroneExplorer(this);
    this.pool.on('results', (r) => this.outcomes.add(r));
    this.pool.on('requeue', (steps) => this.feed(this.buffers.putBack(steps)));
    this.pool.on('ready', (type) => this.buffers.feed(type, this.state));
    this.pool.on('stepLog', (line) => this.outcomes.addLog(line));
  }

  /** Opens the local queue, starts the workers, takes back what this drone held, then starts claiming. */
  async start(): Promise<void> {
    const cfg = this.config;
    for (const w of cfg.warnings) this.log.warn(w);
    try {
      this.local = this.opts.openLocalQueue(cfg.localQueuePath);
    } catch (err) {
      await this.abandon();
      throw err;
    }
    this.id = this.local.droneId(cfg.alias);
    this.log = this.log.child({ drone: this.id });
    this.pool.log = this.log;
    this.log.info(`drone ${this.id} starting: types ${this.buffers.types().join(', ') || '(none)'}; local queue ${this.local.path}`);
    try {
      await this.pool.start();
      await this.health.retryUntilUp(
        async () => {
          await this.queue.migrate();
          await this.queue.heartbeat(this.heartbeat.row(), cfg.leaseMs);
        },
        () => this.state === 'stopping',
      );
      await this.recover();
    } catch (err) {
      await this.abandon();
      throw err;
    }
    this.wakeups = new WakeupWatch({
      wakeups: this.queue.wakeups(),
      pollIntervalMs: cfg.pollIntervalMs,
      log: () => this.log,
      databaseLabel: this.opts.databaseLabel,
      notified: (type) => {
        if (!this.buffers.serves(type)) return;
        this.buffers.mayHaveWork(type);
        this.sync.trigger();
      },
      poll: () => this.wake(),
      // The drones table tells every status and Fleet view; not only at the next beat.
      changed: () => {
        this.changed();
        void this.heartbeat.beat();
      },
    });
    this.wakeups.start();
    this.every(10_000, () => this.pruneHistory());
    this.every(Math.max(200, Math.floor(cfg.leaseMs / 3)), () => void this.heartbeat.beat());
    if (this.opts.hotReload) {
      this.hotReloader = new HotReloader(this.pool, this.log, cfg.shutdownGraceMs);
      this.hotReloader.start();
    }
    this.state = 'running';
    this.log.info(`drone ${this.id} running on ${this.opts.databaseLabel}`);
    this.sync.trigger();
    this.changed();
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  /** Every type may have work again (a poll, a reconnect, a rescue): claim. */
  private wake(): void {
    this.buffers.mayHaveWork();
    this.sync.trigger();
  }

  private feed(types: Iterable<string>): void {
    for (const t of types) this.buffers.feed(t, this.state);
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
    const unserved: Step[] = [];
    this.buffers.push(queued, unserved);
    for (const step of unserved) this.outcomes.fail(step, `this drone has no worker for type ${JSON.stringify(step.type)} any more`);
    const finished = local.finished();
    this.sync.restore(finished);
    if (queued.length > 0 || finished.length > 0) {
      this.log.info(`resuming ${queued.length} buffered step(s) and ${finished.length} unacknowledged outcome(s) from the local queue`);
    }
    this.buffers.feedAll(this.state);
  }

  private retention(): Retention {
    const h = this.config.localQueue.history;
    return { keepSteps: h.keepSteps, keepMs: h.keepHours * 3_600_000 };
  }

  /** Trims history that aged out while nothing was acknowledged (a scan of the file: every 10 s). */
  private pruneHistory(): void {
    try {
      this.local?.prune(this.retention());
    } catch (err) {
      this.log.warn(`could not trim the local queue's history: ${reason(err)}`);
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
    this.log.info(`draining: no claiming; working off ${this.buffers.totalBuffered()} buffered task(s)`);
    this.buffers.feedAll(this.state);
    this.changed();
  }

  resume(): void {
    if (this.state !== 'paused' && this.state !== 'draining') return;
    this.state = 'running';
    this.log.info('resumed');
    this.buffers.feedAll(this.state);
    this.wake();
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

  capacity(type: string): number {
    return this.buffers.capacity(type);
  }

  buffered(type: string): number {
    return this.buffers.buffered(type);
  }

  snapshot(): DroneSnapshot {
    const now = Date.now();
    return {
      id: this.id,
      host: os.hostname(),
      pid: process.pid,
      state: this.state,
      startedAt: this.startedAt,
      database: { ...this.health.view(), source: this.opts.databaseSource },
      wakeups: this.wakeupView(),
      types: this.buffers.stats(now),
      workers: this.pool.instances(),
      outbox: this.sync.outboxSize,
      edges: this.edges.snapshot(now),
      hotReload: this.hotReloader !== null,
    };
  }

  wakeupView(): WakeupView | null {
    return this.wakeups?.view() ?? null;
  }

  changed(): void {
    this.emit('changed');
  }

  failed(type: string, error: string, stack: string | null): void {
    this.emit('failure', { type, error, stack });
  }

  localQueueFailed(err: unknown, consequence: string): void {
    const msg = reason(err);
    if (this.localQueueComplaints.due(`${msg}\n${consequence}`)) this.log.error(`local queue: ${msg}; ${consequence}`);
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
    await this.wakeups?.stop();
    const graceEnd = Date.now() + this.config.shutdownGraceMs;
    this.log.info(`stopping: waiting up to ${this.config.shutdownGraceMs} ms for ${this.pool.totalInflight()} running task(s)`);
    while (Date.now() < graceEnd && (this.pool.totalInflight() > 0 || !this.outcomes.idle || this.buffers.hasWaitingHops())) {
      await sleep(20);
    }
    await this.pool.stop(Math.max(0, graceEnd - Date.now()));
    await this.outcomes.record();
    while (!this.outcomes.idle) await sleep(5);
    while (this.sync.busy) await sleep(10);
    await this.sync.run();
    const giveBack = [...this.buffers.waitingRoots()];
    if (giveBack.length > 0) {
      try {
        // A chain stopped part-way goes on at the step it had got to, not at its first.
        const partWay = this.buffers.waitingHops();
        const n = await this.queue.release(this.id, giveBack, partWay);
        this.local?.forget(giveBack);
        const chains = partWay.length > 0 ? ` (${partWay.length} part-way through a chain: they go on at the step they had reached)` : '';
        this.log.info(`gave back ${n} unstarted task(s) to the global queue${chains}`);
      } catch (err) {
        this.log.error(`could not give back ${giveBack.length} task(s) (${reason(err)}); they stay in the local queue for the next start`);
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
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
