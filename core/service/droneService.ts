import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import type { AppInfo, DroneHandlers, EventMessage, Snapshot } from '../api/contract.js';
import { createDispatcher, type Dispatch } from '../api/dispatcher.js';
import type { ApiService } from '../api/service.js';
import { checkConfigText } from '../config/check.js';
import { loadConfigFile, type ResolvedConfig } from '../config/load.js';
import { configJsonSchema } from '../config/schema.js';
import type { Drone } from '../drone/drone.js';
import { createDrone } from '../drone/createDrone.js';
import type { GlobalQueue } from '../queue/globalQueue.js';
import type { LogLevel, LogLine } from '../api/types.js';
import { FileSink, Logger, LogRing, StderrSink, type LogSink } from '../log/logger.js';
import { SwarmageClient, TaskFailedError } from '../swarmageClient.js';
import { QueueView } from '../queue/queueView.js';
import { reason } from '../util/redact.js';
import { writeFileAtomic } from '../util/privateFiles.js';
import { VERSION } from '../util/version.js';
import { errorGroup } from '../queue/errorGroup.js';
import { FailureNotices } from '../app/failureNotices.js';

export interface DroneServiceOptions {
  configFile: string;
  /** Also write log lines to stderr (the CLI does; a desktop app may not). */
  logToStderr?: boolean;
  /** Overrides the config's log.level. */
  logLevel?: LogLevel;
  /** Dev mode: restart a type's workers when their module file changes (on in the desktop app, off headless unless asked). */
  hotReload?: boolean;
  /**
   * Why "debug this type" cannot work in this process, if it cannot: the packaged desktop app's
   * fuses make its binary ignore --inspect, and workers are forked from that binary.
   */
  debugUnavailable?: string;
}

const SNAPSHOT_MIN_MS = 200; // at most 5 snapshots a second, however busy the drone
const SNAPSHOT_MAX_MS = 1000; // and one a second even when nothing happens (uptime, rates decay)
const LOG_FLUSH_MS = 100;

/**
 * The drone as an application: owns one Drone, its logs and its config, answers the API contract
 * (the same for the desktop app and the headless host) and pushes one throttled event stream.
 */
export class DroneService extends EventEmitter<{ event: [EventMessage] }> implements ApiService {
  readonly dispatch: Dispatch;
  readonly ring = new LogRing(20_000);
  private readonly logger: Logger;
  private readonly fileSinks = new Map<string, { sink: FileSink; unsubscribe: () => void }>();
  private drone: Drone | null = null;
  private config: ResolvedConfig | null = null;
  private configText = '';
  private app: AppInfo;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private lastSnapshot = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private pendingLogs: LogLine[] = [];
  private logTimer: NodeJS.Timeout | null = null;
  private transition: Promise<unknown> = Promise.resolve();
  private queueView: { queue: GlobalQueue; view: QueueView } | null = null;
  private readonly notices = new FailureNotices();
  /** Bumped by stop(): a start still finding its database when the drone was stopped must not start it after all. */
  private stops = 0;

  constructor(private readonly opts: DroneServiceOptions) {
    super();
    const file = path.resolve(opts.configFile);
    this.app = { state: 'starting', error: null, configFile: file, retryAt: null, version: VERSION, lastFailureAt: null };
    const sinks: LogSink[] = [this.ring];
    if (opts.logToStderr) sinks.push(new StderrSink());
    this.logger = new Logger(opts.logLevel ?? 'info', sinks);
    this.ring.subscribe((line) => this.queueLog(line));
    this.dispatch = createDispatcher(this.handlers(), (method, err) => this.logger.warn(`${method} failed: ${reason(err)}`));
  }

  get log(): Logger {
    return this.logger;
  }

  /** Loads the config file and starts the drone. Rejects if that fails; the service stays usable (state "error") so a UI can fix the config. */
  async start(): Promise<void> {
    this.heartbeat ??= setInterval(() => this.scheduleSnapshot(), SNAPSHOT_MAX_MS);
    const file = this.app.configFile!;
    try {
      this.configText = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      const config = loadConfigFile(file);
      await this.run(config);
    } catch (err) {
      this.fail(err, false);
      throw err;
    }
  }

  /** The caller of start() reports its error itself; later failures (a config applied from the UI) are logged. */
  private fail(err: unknown, log = true): void {
    this.app = { ...this.app, state: 'error', error: reason(err) };
    if (log) this.logger.error(reason(err));
    this.scheduleSnapshot();
  }

  private async run(config: ResolvedConfig): Promise<void> {
    this.config = config;
    this.app = { ...this.app, state: 'starting', error: null };
    this.scheduleSnapshot();
    if (!this.opts.logLevel) this.logger.setLevel(config.log.level);
    this.attachLogFile(config.logFile);
    const stops = this.stops;
    const drone = await createDrone({ config, logger: this.logger, hotReload: this.opts.hotReload });
    if (stops !== this.stops) {
      await drone.queue.close().catch(() => {});
      return;
    }
    this.drone = drone;
    drone.on('changed', () => this.scheduleSnapshot());
    drone.on('failure', (f) => this.onFailure(f));
    await drone.start();
    this.app = { ...this.app, state: 'running' };
    this.scheduleSnapshot();
  }

  /** Every failed attempt marks the drone failing; the first of a cause in a while is also told (the desktop app notifies). */
  private onFailure(f: { type: string; error: string; stack: string | null }): void {
    const now = Date.now();
    this.app = { ...this.app, lastFailureAt: now };
    const group = errorGroup(f.error, f.stack);
    if (!this.notices.admit(group.key, now)) return;
    this.emit('event', { event: 'failure', data: { profile: '', profileName: '', type: f.type, group: group.key, message: group.title } });
  }

  private attachLogFile(file: string | null): void {
    if (!file || this.fileSinks.has(file)) return;
    const sink = new FileSink(file);
    this.fileSinks.set(file, { sink, unsubscribe: this.ring.subscribe((line) => sink.write(line)) });
  }

  /** Stops the drone gracefully: running work finishes, unstarted tasks go back to the queue. */
  async stop(): Promise<void> {
    this.stops++;
    await this.transition;
    this.app = { ...this.app, state: 'stopping' };
    try {
      await this.drone?.stop();
    } finally {
      this.drone = null;
      this.app = { ...this.app, state: 'stopped' };
      this.emitSnapshot();
      // Stopped for good or until start() again (the desktop app restarts a profile on the same service, logs and all).
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = null;
      if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
      this.snapshotTimer = null;
      this.flushLogs();
      for (const { sink, unsubscribe } of this.fileSinks.values()) {
        unsubscribe();
        sink.close();
      }
      this.fileSinks.clear();
    }
  }

  greeting(): EventMessage[] {
    return [{ event: 'snapshot', data: this.snapshot() }];
  }

  snapshot(): Snapshot {
    return { app: { ...this.app, retryAt: this.drone?.snapshot().database.retryAt ?? null }, drone: this.drone?.id ? this.drone.snapshot() : null };
  }

  private scheduleSnapshot(): void {
    if (this.snapshotTimer) return;
    const wait = Math.max(0, this.lastSnapshot + SNAPSHOT_MIN_MS - Date.now());
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      this.emitSnapshot();
    }, wait);
  }

  private emitSnapshot(): void {
    this.lastSnapshot = Date.now();
    this.emit('event', { event: 'snapshot', data: this.snapshot() });
  }

  private queueLog(line: LogLine): void {
    this.pendingLogs.push(line);
    this.logTimer ??= setTimeout(() => this.flushLogs(), LOG_FLUSH_MS);
  }

  private flushLogs(): void {
    if (this.logTimer) clearTimeout(this.logTimer);
    this.logTimer = null;
    if (this.pendingLogs.length === 0) return;
    const data = this.pendingLogs;
    this.pendingLogs = [];
    this.emit('event', { event: 'logs', data });
  }

  /** The whole-queue views of the running drone's queue (a new config may mean a new queue). */
  private view(): QueueView {
    const queue = this.running().queue;
    if (this.queueView?.queue !== queue) this.queueView = { queue, view: new QueueView(queue, () => (this.drone?.id ? queue.fileId(this.drone.id) : null)) };
    return this.queueView.view;
  }

  private running(): Drone {
    const d = this.drone;
    if (!d || !d.id || d.state === 'stopped' || d.state === 'stopping') {
      throw new Error(`the drone is not running${this.app.error ? `: ${this.app.error}` : ` (${this.app.state})`}`);
    }
    return d;
  }

  /** Validates, optionally saves, then replaces the running drone with one on the new config. */
  private async applyConfig(text: string, save: boolean) {
    const file = this.app.configFile!;
    const check = checkConfigText(text, file);
    if (!check.ok || !check.config) return { ok: false, issues: check.issues, warnings: check.warnings };
    const config = check.config;
    const apply = async () => {
      if (save) {
        // Keeps the file's mode (0600 when new) and never writes through a planted temp path.
        writeFileAtomic(file, text);
        this.logger.info(`saved the config to ${file}`);
      }
      this.configText = text;
      this.app = { ...this.app, state: 'restarting', error: null };
      this.scheduleSnapshot();
      this.logger.info('applying the new config: stopping the drone gracefully, then starting it again');
      await this.drone?.stop();
      this.drone = null;
      try {
        await this.run(config);
      } catch (err) {
        this.fail(err);
        throw err;
      }
    };
    const done = this.transition.then(apply, apply);
    this.transition = done.catch(() => {});
    await done;
    return { ok: true, issues: [], warnings: check.warnings };
  }

  private handlers(): DroneHandlers {
    const types = (type?: string) => (type ? [type] : undefined);
    const sinceDate = (ms?: number) => (ms === undefined ? undefined : new Date(ms));
    // A Date only when later than now: a time in the past means now (the database's now()).
    const scheduled = (runAt?: number, delayMs?: number) => {
      const at = runAt ?? (delayMs ? Date.now() + delayMs : undefined);
      return at !== undefined && at > Date.now() ? new Date(at) : undefined;
    };
    const selection = (sel: { ids: string[] } | { type?: string; group?: string; since?: number }) =>
      'ids' in sel ? sel : { types: types(sel.type), group: sel.group, since: sinceDate(sel.since) };
    return {
      'drone.snapshot': async () => this.snapshot(),
      'drone.pause': async () => this.running().pause(),
      'drone.resume': async () => this.running().resume(),
      'drone.drain': async () => this.running().drain(),
      'workers.restart': async ({ id }) => this.running().restartWorker(id),
      'workers.stop': async ({ id }) => this.running().stopWorker(id),
      'workers.start': async ({ id }) => this.running().startWorker(id),
      'logs.recent': async ({ afterSeq, limit }) => this.ring.recent(limit ?? 5000, afterSeq ?? 0),
      'tasks.enqueue': async ({ type, data, count, postback, priority, maxAttempts, runAt, delayMs }) => {
        const when = scheduled(runAt, delayMs);
        const tasks = Array.from({ length: count }, () => ({ type, data, postback: postback ?? null, priority, maxAttempts, runAt: when }));
        const ids = await this.running().queue.enqueue(tasks);
        this.logger.info(`enqueued ${ids.length} ${type} task(s) from the UI${when ? ` to run at ${when.toISOString()}` : ''}`);
        return { ids, runAt: when?.getTime() ?? Date.now() };
      },
      'tasks.enqueueMany': async ({ tasks }) => {
        const ids = await this.running().queue.enqueue(tasks.map(({ runAt, delayMs, ...t }) => ({ ...t, runAt: scheduled(runAt, delayMs) })));
        this.logger.info(`enqueued ${ids.length} task(s) of ${new Set(tasks.map((t) => t.type)).size} type(s) from the UI`);
        return { ids };
      },
      'tasks.request': async ({ type, data, timeoutMs }) => {
        const started = Date.now();
        let id = '';
        try {
          const [result] = await SwarmageClient.over(this.running().queue).requestMany(type, [data], { timeoutMs, onEnqueued: (ids) => (id = ids[0]) });
          return { id, result, ms: Date.now() - started, failure: null };
        } catch (err) {
          if (!(err instanceof TaskFailedError)) throw err;
          return { id, result: null, ms: Date.now() - started, failure: { error: err.error, stack: err.workerStack, attempts: err.attempts } };
        }
      },
      'tasks.requestMany': async ({ tasks, timeoutMs }) => {
        const outcomes = await SwarmageClient.over(this.running().queue).requestEach(tasks, { timeoutMs });
        return { outcomes };
      },
      'queue.overview': async () => this.view().overview(),
      'queue.count': async ({ type }) => this.running().queue.countType(type),
      'failed.groups': async ({ type, since }) => this.running().queue.failureGroups({ types: types(type), since: sinceDate(since) }),
      'failed.list': async ({ type, group, since, afterId, limit }) =>
        this.running().queue.listFailed({ types: types(type), group, since: sinceDate(since), afterId, limit }),
      'failed.retry': async (sel) => ({ count: (await this.running().queue.retryFailed(selection(sel))).length }),
      'failed.delete': async (sel) => ({ count: (await this.running().queue.deleteFailed(selection(sel))).length }),
      'tasks.lookup': async ({ id }) => this.view().lookup(id, this.running().explorer),
      'tasks.browse': async (q) => this.running().queue.browse(q),
      'tasks.cancel': async ({ ids }) => {
        const done = await this.running().queue.cancel(ids);
        this.logger.info(`cancelled ${done.length} waiting task(s) from the UI`);
        return { count: done.length };
      },
      'tasks.runNow': async ({ ids }) => ({ count: (await this.running().queue.runNow(ids)).length }),
      // Before the first start (a profile added stopped) the text is read from the file.
      'config.get': async () => ({ file: this.app.configFile, text: this.drone || this.configText ? this.configText : readIfThere(this.app.configFile!) }),
      'config.schema': async () => configJsonSchema(),
      'config.check': async ({ text }) => {
        const { ok, issues, warnings } = checkConfigText(text, this.app.configFile);
        return { ok, issues, warnings };
      },
      'config.apply': async ({ text, save }) => this.applyConfig(text, save),
      'tasks.search': async (q) => this.running().explorer.searchTasks(q),
      'tasks.trace': async ({ traceId }) => this.running().explorer.trace(traceId),
      'tasks.replay': async ({ stepId, data }) => this.running().explorer.replay(stepId, data),
      'types.schema': async ({ type }) => this.running().explorer.schema(type),
      'workers.debug': async ({ type }) => {
        if (this.opts.debugUnavailable) throw new Error(this.opts.debugUnavailable);
        return this.running().explorer.debug(type);
      },
      'workers.undebug': async ({ type }) => this.running().explorer.undebug(type),
    };
  }
}

function readIfThere(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
