import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ResolvedWorker } from '../config/load.js';
import type { Step, StepLog } from '../queue/local/localQueue.js';
import type { Logger } from '../log/logger.js';
import { EXIT_LINE, MAX_RESULT_LINE_CHARS, MAX_STEP_LOG_CHARS, RESULTS_FD, isFromChild, parseResultLine, type ChildTask, type FromChild, type ToChild } from './protocol.js';
import { readBoundedLines } from './lineReader.js';
import { chargeExit, describeExit, respawnDelayMs } from './crashCharge.js';
import type { Inflight, RunResult } from './runResult.js';
import type { InspectorAddress, InstanceInfo, InstanceState } from './types.js';
import { MAX_ERROR_BYTES, MAX_LOG_LINE_BYTES, MAX_STACK_BYTES, cutNullable, cutText } from '../util/truncate.js';

const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));
const TICK_MS = 100;
/** The least time a worker module gets to load (see spawn). */
const LOAD_MIN_MS = 10_000;

export type { RunResult } from './runResult.js';

export interface PoolEvents {
  /** Outcomes from workers, in batches; a crash or timeout arrives as a failure result. */
  results: [RunResult[]];
  /** Steps an instance held but never started; they go back to the front of the buffer. */
  requeue: [Step[]];
  /** An instance can take work again (started, restarted). */
  ready: [type: string];
  /** A log line a worker wrote while running a step (kept with the step's history). */
  stepLog: [StepLog];
}

/** The module file's version: the first 8 hex digits of the sha256 of its content; null when unreadable. */
export function codeVersionOf(file: string): string | null {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 8);
  } catch {
    return null;
  }
}

const INSPECTOR_LINE = /^Debugger listening on (ws:\/\/(127\.0\.0\.1):(\d+)\/[0-9a-f-]+)$/;
const INSPECTOR_NOTE = /^(Debugger listening on |For help, see: |Debugger attached\.|Debugger ending on |Waiting for the debugger to disconnect)/;

class Instance {
  proc: ChildProcess | null = null;
  state: InstanceState = 'starting';
  inflight = new Map<number, Inflight>();
  done = 0;
  failed = 0;
  restarts = 0;
  crashesInARow = 0;
  lastExit: string | null = null;
  killReason: string | null = null;
  respawnTimer: NodeJS.Timeout | null = null;
  codeVersion: string | null = null;
  /** Debug instances only: where the inspector listens, and the last task handed over. */
  inspector: InspectorAddress | null = null;
  lastTask: string | null = null;
  private inspectorWaiters: Array<() => void> = [];
  /** Resolves once the current process has exited and its last results and exit were handled. */
  private exited: Promise<void> = Promise.resolve();
  private readyWaiter: ((err: Error | null) => void) | null = null;
  /** The current process wrote EXIT_LINE: its exit handler ran, so every result it had is in. */
  private reportedExit = false;

  constructor(readonly id: string, readonly type: string, readonly spec: ResolvedWorker, private readonly pool: WorkerPool, readonly debug = false) {}

  get limit(): number {
    // A debug instance takes one task at a time: the user sits at its breakpoints.
    return this.debug ? 1 : Math.max(this.spec.prefetch, this.spec.concurrency);
  }
  /** Results come once per event-loop turn of the worker (see protocol.ts); a debug instance writes each at once. */
  get batchResults(): boolean {
    return this.spec.batchResults && !this.debug;
  }
  get accepting(): boolean {
    return this.state === 'idle' || this.state === 'busy';
  }

  spawn(): Promise<void> {
    this.state = 'starting';
    this.killReason = null;
    const execArgv = this.spec.maxMemoryMb ? [`--max-old-space-size=${this.spec.maxMemoryMb}`] : [];
    // Loopback only, on a port the system picks: the inspector lets whoever reaches it run code.
    // Its ws:// URL (the secret part is the UUID in its path) goes to stderr only, which only the
    // drone reads: with the default (http) any local user could read it from /json/list.
    if (this.debug) execArgv.push('--inspect=127.0.0.1:0', '--inspect-publish-uid=stderr');
    this.codeVersion = codeVersionOf(this.spec.modulePath);
    this.inspector = null;
    this.reportedExit = false;
    const proc = fork(CHILD_ENTRY, [], {
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      env: {
        ...process.env,
        SWARMAGE_WORKER_CONCURRENCY: String(this.debug ? 1 : this.spec.concurrency),
        SWARMAGE_WORKER_BATCH_RESULTS: this.batchResults ? '1' : '0',
      },
      serialization: 'json',
    });
    this.proc = proc;
    const log = this.pool.log.child({ worker: this.id });
    readBoundedLines(proc.stdout!, MAX_LOG_LINE_BYTES, (line) => log.info(line));
    readBoundedLines(proc.stderr!, MAX_LOG_LINE_BYTES, (line) => {
      const m = this.debug ? INSPECTOR_LINE.exec(line) : null;
      if (m) {
        this.inspector = { webSocketUrl: m[1], host: m[2], port: Number(m[3]) };
        for (const w of this.inspectorWaiters.splice(0)) w();
      }
      // The inspector's own lines are news, not warnings.
      if (this.debug && INSPECTOR_NOTE.test(line)) log.info(line);
      else log.warn(line);
    });
    proc.on('message', (m) => {
      if (proc !== this.proc) return;
      if (!isFromChild(m)) {
        log.warn(`ignored a malformed message from the worker process: ${JSON.stringify(m)?.slice(0, 200)}`);
        return;
      }
      this.onMessage(m, log);
    });
    const results = proc.stdio[RESULTS_FD] as NodeJS.ReadableStream;
    results.setEncoding('utf8');
    let partial = '';
    /** The line being read passed the limit: what is left of it, up to its newline, goes. */
    let discarding = false;
    results.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      if (discarding && lines.length > 0) {
        lines.shift();
        discarding = false;
      }
      // User code can write to this fd too: a line longer than any result can be is not kept whole.
      if (partial.length > MAX_RESULT_LINE_CHARS) {
        if (!discarding) log.warn(`ignored a line of more than ${MAX_RESULT_LINE_CHARS} characters on the results pipe`);
        partial = '';
        discarding = true;
      }
      if (proc === this.proc) this.onResults(lines, log);
    });
    const resultsEnded = new Promise<void>((resolve) => results.once('close', resolve));
    this.exited = new Promise<void>((resolve) => {
      proc.on('exit', (code, signal) => {
        // Results written just before the exit may still be in the pipe: read them first, so that
        // a finished task is not taken for the one that crashed. (A grandchild holding the pipe
        // open must not hold this up for long.)
        const grace = new Promise<void>((r) => setTimeout(r, 2000).unref());
        void Promise.race([resultsEnded, grace]).then(() => {
          this.onExit(proc, code, signal);
          resolve();
        });
      });
    });
    proc.on('error', (err) => log.error(`worker process error: ${err.message}`));
    const ready = new Promise<void>((resolve, reject) => {
      this.readyWaiter = (err) => (err ? reject(err) : resolve());
    });
    // A module that never finishes loading (an endless loop at import or in init) would keep the
    // drone from starting without a word: loading gets the task limit, but at least LOAD_MIN_MS (a
    // busy machine can take seconds to start Node and import a module, whatever the tasks take).
    const limitMs = Math.max(this.spec.timeoutMs, LOAD_MIN_MS);
    const loading = setTimeout(() => {
      if (proc !== this.proc || this.state !== 'starting') return;
      this.settleReady(new Error(`did not finish loading within ${limitMs} ms (timeoutMs of ${this.spec.where}, at least ${LOAD_MIN_MS} ms)`));
      this.kill(`did not finish loading within ${limitMs} ms`);
    }, limitMs);
    loading.unref();
    void ready.then(() => clearTimeout(loading), () => clearTimeout(loading));
    this.send({ t: 'init', modulePath: this.spec.modulePath, config: this.spec.config, type: this.type, instance: this.id });
    return ready;
  }

  private settleReady(err: Error | null): void {
    const w = this.readyWaiter;
    this.readyWaiter = null;
    w?.(err);
  }

  send(msg: ToChild): void {
    if (this.proc?.connected) this.proc.send(msg);
  }

  private onMessage(m: FromChild, log: Logger): void {
    switch (m.t) {
      case 'ready':
        // Told to stop while it was still loading: it exits once loaded; a 'ready' sent on the way
        // must not make a stopped instance look alive (its exit would then pass for a crash and
        // respawn it after the drone had stopped).
        if (this.state === 'stopped') {
          this.settleReady(null);
          return;
        }
        this.state = 'idle';
        log.debug(`ready (pid ${this.proc?.pid}, code ${this.codeVersion})`);
        if (m.schema !== undefined) this.pool.setSchema(this.type, m.schema);
        this.settleReady(null);
        this.pool.emit('ready', this.type);
        return;
      case 'init-error':
        this.settleReady(new Error(m.error));
        this.killReason = `init failed: ${m.error}`;
        this.proc?.kill('SIGKILL');
        return;
      case 'log':
        log.log(m.level, m.msg, m.task ? { task: m.task } : undefined);
        if (m.s !== undefined) this.pool.emit('stepLog', { stepId: m.s, time: Date.now(), level: m.level, msg: m.msg.slice(0, MAX_STEP_LOG_CHARS) });
        return;
    }
  }

  private onResults(lines: string[], log: Logger): void {
    const out: RunResult[] = [];
    for (const line of lines) {
      if (!line) continue;
      if (line === EXIT_LINE) {
        this.reportedExit = true;
        continue;
      }
      const r = parseResultLine(line);
      if (!r) {
        log.warn(`ignored a malformed line on the results pipe: ${line.slice(0, 200)}`);
        continue;
      }
      const f = this.inflight.get(r.s);
      if (!f) continue;
      this.inflight.delete(r.s);
      this.pool.suspects.delete(r.s);
      if (r.ok) {
        this.done++;
        this.crashesInARow = 0;
      } else {
        this.failed++;
        // Cut in the worker already (child.ts); again here, for lines that did not come from it.
        r.error = cutText(r.error, MAX_ERROR_BYTES);
        r.stack = cutNullable(r.stack, MAX_STACK_BYTES);
      }
      // The worker says when it began; the drone's own guess (when the step reached the front) is the fallback.
      out.push({ step: f.step, result: r, startedAt: r.at ?? f.startedAt });
    }
    this.markRunning(Date.now());
    if (this.inflight.size === 0 && this.state === 'busy') this.state = 'idle';
    if (out.length > 0) this.pool.emit('results', out);
  }

  /**
   * The child starts tasks in the order sent: the first `concurrency` unfinished ones are running,
   * except that a suspect runs alone (it waits for those before it, and those after wait for it).
   */
  markRunning(now: number): void {
    let n = 0;
    for (const f of this.inflight.values()) {
      if (n++ >= this.spec.concurrency) break;
      const alone = this.pool.suspects.has(f.step.id);
      if (alone && n > 1) break;
      f.startedAt ??= now;
      if (alone) break;
    }
  }

  assign(steps: Step[]): void {
    const tasks: ChildTask[] = steps.map((s) => {
      this.inflight.set(s.id, { step: s, startedAt: null });
      const t: ChildTask = { s: s.id, id: s.rootId, type: s.type, d: s.dataJson, attempt: s.attempt, maxAttempts: s.maxAttempts, postback: s.postback, prev: s.parentId };
      if (this.pool.suspects.has(s.id)) t.alone = true;
      return t;
    });
    this.markRunning(Date.now());
    this.state = 'busy';
    if (this.debug && steps.length > 0) {
      this.lastTask = steps[0].rootId;
      this.pool.log.child({ worker: this.id }).info(`handed task ${steps[0].rootId} (${this.type}) to the debug instance`, { task: steps[0].rootId });
    }
    this.send({ t: 'run', tasks });
  }

  /** Resolves once the inspector said where it listens (a debug instance), or after `ms`. */
  async inspectorReady(ms: number): Promise<InspectorAddress | null> {
    if (!this.inspector) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        this.inspectorWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.inspector;
  }

  checkTimeout(now: number): void {
    // No timeout while debugging: the user sits at breakpoints.
    if (!this.accepting || this.debug) return;
    for (const f of this.inflight.values()) {
      if (f.startedAt !== null && now - f.startedAt > this.spec.timeoutMs) {
        this.kill(`timed out after ${this.spec.timeoutMs} ms (timeoutMs of ${this.spec.where})`);
        return;
      }
    }
  }

  kill(reason: string): void {
    this.killReason = reason;
    this.proc?.kill('SIGKILL');
  }

  private onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (proc !== this.proc) return;
    this.proc = null;
    const how = describeExit({ code, signal, killReason: this.killReason });
    this.lastExit = how;
    this.settleReady(new Error(how));
    const held = [...this.inflight.values()];
    this.inflight.clear();
    const stopped = this.state === 'stopped';
    const charge = chargeExit(held, { instance: this.id, how, stopped, resultsUnreported: this.batchResults && !this.reportedExit }, this.pool.suspects);
    for (const id of charge.suspect) this.pool.suspects.add(id);
    for (const id of charge.cleared) this.pool.suspects.delete(id);
    if (stopped) {
      if (charge.giveBack.length) this.pool.emit('requeue', charge.giveBack);
      return;
    }
    this.failed += charge.failures.length;
    this.state = 'crashed';
    this.crashesInARow++;
    const delay = respawnDelayMs(this.crashesInARow, charge);
    const charged = charge.failures.length ? 'failing the running task, '
      : charge.suspect.length ? `${charge.suspect.length} task(s) it held may have run (batchResults: results unreported); they run again one at a time to find the one that crashed it; `
      : '';
    this.pool.log.child({ worker: this.id }).warn(`${how}; ${charged}restarting in ${delay} ms`);
    if (charge.failures.length) this.pool.emit('results', charge.failures);
    if (charge.giveBack.length) this.pool.emit('requeue', charge.giveBack);
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = null;
      if (this.state !== 'crashed') return;
      this.restarts++;
      this.spawn().catch((err) => this.pool.log.child({ worker: this.id }).error(`restart failed: ${(err as Error).message}`));
      this.state = 'restarting';
    }, delay);
  }

  async stop(graceMs: number): Promise<void> {
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    const proc = this.proc;
    this.state = 'stopped';
    if (!proc) return;
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    if (proc.connected) proc.send({ t: 'stop' } satisfies ToChild);
    else proc.kill('SIGKILL');
    await this.exited;
    clearTimeout(timer);
  }

  /** Stops gracefully (running tasks finish) and starts a fresh process. */
  async restart(graceMs: number): Promise<void> {
    await this.stop(graceMs);
    this.restarts++;
    this.crashesInARow = 0;
    await this.spawn();
  }

  async start(): Promise<void> {
    if (this.state !== 'stopped') return;
    this.crashesInARow = 0;
    await this.spawn();
  }

  info(now: number): InstanceInfo {
    const first = this.inflight.values().next().value as Inflight | undefined;
    return {
      id: this.id, type: this.type, pid: this.proc?.pid ?? null, state: this.state,
      currentTask: first?.startedAt != null ? first.step.rootId : null,
      runningForMs: first?.startedAt != null ? now - first.startedAt : null,
      done: this.done, failed: this.failed, restarts: this.restarts, lastExit: this.lastExit,
      codeVersion: this.codeVersion, debug: this.debug,
    };
  }

  startedAt(stepId: number): number | null | undefined {
    const f = this.inflight.get(stepId);
    return f ? f.startedAt : undefined;
  }
}

/** The worker processes of one drone: spawns them, hands them steps, turns crashes and timeouts into failures. */
export class WorkerPool extends EventEmitter<PoolEvents> {
  private readonly byType = new Map<string, Instance[]>();
  /** "Debug this type": one extra instance per type, with the inspector, outside the type's capacity. */
  private readonly debugging = new Map<string, Instance>();
  private readonly schemas = new Map<string, unknown>();
  /** Steps that were held by a worker killed with results unreported (batchResults): each runs alone next time. */
  readonly suspects = new Set<number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(workers: Record<string, ResolvedWorker[]>, public log: Logger) {
    super();
    for (const [type, specs] of Object.entries(workers)) {
      this.byType.set(type, specs.map((spec, i) => new Instance(specs.length > 1 ? `${type}#${i + 1}` : type, type, spec, this)));
    }
  }

  types(): string[] {
    return [...this.byType.keys()];
  }
  serves(type: string): boolean {
    return this.byType.has(type);
  }
  instanceCount(type: string): number {
    return this.byType.get(type)?.length ?? 0;
  }

  /** Starts every instance; if any module fails to load, stops them all and says which and why. */
  async start(): Promise<void> {
    const all = [...this.byType.values()].flat();
    const results = await Promise.allSettled(all.map((i) => i.spawn()));
    const problems = results.flatMap((r, n) => (r.status === 'rejected' ? [`${all[n].spec.where}.module: ${(r.reason as Error).message}`] : []));
    if (problems.length > 0) {
      await this.stop(0);
      throw new Error(problems.join('\n'));
    }
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const i of all) i.checkTimeout(now);
    }, TICK_MS);
    this.timer.unref();
  }

  /** The instances of a type, its debug instance (if any) last. */
  private all(type: string): Instance[] {
    const list = this.byType.get(type) ?? [];
    const d = this.debugging.get(type);
    return d ? [...list, d] : list;
  }

  private everyInstance(): Instance[] {
    return [...this.byType.keys()].flatMap((t) => this.all(t));
  }

  /** Hands buffered steps of a type to its instances, least loaded first, one message per instance. */
  fill(type: string, pending: Step[]): void {
    if (pending.length === 0) return;
    // A debug instance that is free takes the next step first ("the next task of that type").
    const d = this.debugging.get(type);
    if (d && d.accepting && d.inflight.size === 0) d.assign([pending.shift()!]);
    const instances = this.byType.get(type)?.filter((i) => i.accepting);
    if (!instances || instances.length === 0 || pending.length === 0) return;
    const batches = new Map<Instance, Step[]>();
    const load = new Map(instances.map((i) => [i, i.inflight.size]));
    while (pending.length > 0) {
      let best: Instance | null = null;
      for (const i of instances) {
        const l = load.get(i)!;
        if (l < i.limit && (best === null || l < load.get(best)!)) best = i;
      }
      if (!best) break;
      load.set(best, load.get(best)! + 1);
      let batch = batches.get(best);
      if (!batch) batches.set(best, (batch = []));
      batch.push(pending.shift()!);
    }
    for (const [i, steps] of batches) i.assign(steps);
  }

  /** Tasks the instances of a type take ahead of time, together. */
  prefetchTotal(type: string): number {
    let n = 0;
    for (const i of this.byType.get(type) ?? []) n += i.limit;
    return n;
  }

  /** Steps handed to workers and not finished, by type. */
  inflightCount(type: string): number {
    let n = 0;
    for (const i of this.all(type)) n += i.inflight.size;
    return n;
  }

  runningCount(type: string): number {
    let n = 0;
    for (const i of this.all(type)) for (const f of i.inflight.values()) if (f.startedAt !== null) n++;
    return n;
  }

  totalInflight(): number {
    let n = 0;
    for (const i of this.everyInstance()) n += i.inflight.size;
    return n;
  }

  instances(): InstanceInfo[] {
    const now = Date.now();
    return this.everyInstance().map((i) => i.info(now));
  }

  /** When a step handed to a worker began running: a time, null while it waits in the worker, undefined when no worker holds it. */
  startedAt(type: string, stepId: number): number | null | undefined {
    for (const i of this.all(type)) {
      const t = i.startedAt(stepId);
      if (t !== undefined) return t;
    }
    return undefined;
  }

  /** The JSON Schema a type's module exports for its task data, or null. */
  schema(type: string): unknown {
    return this.schemas.get(type) ?? null;
  }

  setSchema(type: string, schema: unknown): void {
    this.schemas.set(type, schema);
  }

  /** The module files of the types, each with the types it serves (hot reload watches these). */
  modules(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [type, list] of this.byType) {
      for (const i of list) {
        const types = out.get(i.spec.modulePath) ?? [];
        if (!types.includes(type)) types.push(type);
        out.set(i.spec.modulePath, types);
      }
    }
    return out;
  }

  /** Restarts every instance of a type, one after another (gracefully: none of its tasks is lost), for new code. */
  async restartType(type: string, graceMs: number): Promise<void> {
    for (const i of this.all(type)) {
      if (i.state === 'stopped' && !i.debug) continue;
      await i.restart(graceMs);
    }
  }

  /** Starts (or returns) the debug instance of a type; resolves once its inspector listens. */
  async debug(type: string): Promise<{ instance: string; inspector: InspectorAddress; taskId: string | null }> {
    const spec = this.byType.get(type)?.[0]?.spec;
    if (!spec) throw new Error(`no worker type ${JSON.stringify(type)} in this drone; it has ${this.types().join(', ') || 'none'}`);
    let d = this.debugging.get(type);
    if (!d) {
      d = new Instance(`${type}~debug`, type, spec, this, true);
      this.debugging.set(type, d);
      this.log.info(`debug: starting ${d.id} with the Node inspector on 127.0.0.1; the next ${type} task goes to it`);
      try {
        await d.spawn();
      } catch (err) {
        this.debugging.delete(type);
        await d.stop(0);
        throw err;
      }
    }
    const inspector = await d.inspectorReady(10_000);
    if (!inspector) throw new Error(`${d.id}: the Node inspector did not say where it listens`);
    return { instance: d.id, inspector, taskId: d.lastTask };
  }

  /** The debug session of a type, if one is open. */
  debugInfo(type: string): { instance: string; inspector: InspectorAddress | null; taskId: string | null } | null {
    const d = this.debugging.get(type);
    return d ? { instance: d.id, inspector: d.inspector, taskId: d.lastTask } : null;
  }

  /** Ends a debug session: the instance stops, a task it holds goes back to the buffer. */
  async undebug(type: string, graceMs: number): Promise<void> {
    if (!this.byType.has(type)) throw new Error(`no worker type ${JSON.stringify(type)} in this drone; it has ${this.types().join(', ') || 'none'}`);
    const d = this.debugging.get(type);
    if (!d) return;
    this.log.info(`debug: stopping ${d.id}`);
    await d.stop(graceMs);
    this.debugging.delete(type);
  }

  private instance(id: string): Instance {
    const all = this.everyInstance();
    const found = all.find((i) => i.id === id);
    if (!found) throw new Error(`no worker instance ${JSON.stringify(id)}; this drone has ${all.map((i) => i.id).join(', ') || 'none'}`);
    return found;
  }

  restartInstance(id: string, graceMs: number): Promise<void> {
    this.log.info(`restarting worker ${id}`);
    return this.instance(id).restart(graceMs);
  }

  stopInstance(id: string, graceMs: number): Promise<void> {
    this.log.info(`stopping worker ${id}`);
    return this.instance(id).stop(graceMs);
  }

  startInstance(id: string): Promise<void> {
    this.log.info(`starting worker ${id}`);
    return this.instance(id).start();
  }

  async stop(graceMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.everyInstance().map((i) => i.stop(graceMs)));
  }
}
