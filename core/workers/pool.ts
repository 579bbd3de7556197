import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ResolvedWorker } from '../config/load.js';
import type { Step } from '../queue/local/localQueue.js';
import type { Logger } from '../log/logger.js';
import { RESULTS_FD, isFromChild, parseResultLine, type ChildResult, type ChildTask, type FromChild, type ToChild } from './protocol.js';

export type InstanceState = 'starting' | 'idle' | 'busy' | 'crashed' | 'restarting' | 'stopped';

const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));
const TICK_MS = 100;

interface Inflight {
  step: Step;
  /** When it began running (it may wait behind others in the child), or null while it waits. */
  startedAt: number | null;
}

export interface InstanceInfo {
  id: string;
  type: string;
  pid: number | null;
  state: InstanceState;
  currentTask: string | null;
  runningForMs: number | null;
  done: number;
  failed: number;
  restarts: number;
  lastExit: string | null;
}

/** A step's outcome, with when it began running (null: it never did, e.g. its worker died first). */
export interface RunResult {
  step: Step;
  result: ChildResult;
  startedAt: number | null;
}

export interface PoolEvents {
  /** Outcomes from workers, in batches; a crash or timeout arrives as a failure result. */
  results: [RunResult[]];
  /** Steps an instance held but never started; they go back to the front of the buffer. */
  requeue: [Step[]];
  /** An instance can take work again (started, restarted). */
  ready: [type: string];
}

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
  /** Resolves once the current process has exited and its last results and exit were handled. */
  private exited: Promise<void> = Promise.resolve();
  private readyWaiter: ((err: Error | null) => void) | null = null;

  constructor(readonly id: string, readonly type: string, readonly spec: ResolvedWorker, private readonly pool: WorkerPool) {}

  get limit(): number {
    return Math.max(this.spec.prefetch, this.spec.concurrency);
  }
  get accepting(): boolean {
    return this.state === 'idle' || this.state === 'busy';
  }

  spawn(): Promise<void> {
    this.state = 'starting';
    this.killReason = null;
    const execArgv = this.spec.maxMemoryMb ? [`--max-old-space-size=${this.spec.maxMemoryMb}`] : [];
    const proc = fork(CHILD_ENTRY, [], {
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      env: { ...process.env, SWARMAGE_WORKER_CONCURRENCY: String(this.spec.concurrency) },
      serialization: 'json',
    });
    this.proc = proc;
    const log = this.pool.log.child({ worker: this.id });
    createInterface({ input: proc.stdout! }).on('line', (line) => log.info(line));
    createInterface({ input: proc.stderr! }).on('line', (line) => log.warn(line));
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
    results.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
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
    // drone from starting without a word: loading gets the same limit as a task.
    const loading = setTimeout(() => {
      if (proc !== this.proc || this.state !== 'starting') return;
      this.settleReady(new Error(`did not finish loading within ${this.spec.timeoutMs} ms (timeoutMs of ${this.spec.where})`));
      this.kill(`did not finish loading within ${this.spec.timeoutMs} ms`);
    }, this.spec.timeoutMs);
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
        this.state = 'idle';
        log.debug(`ready (pid ${this.proc?.pid})`);
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
        return;
    }
  }

  private onResults(lines: string[], log: Logger): void {
    const out: RunResult[] = [];
    for (const line of lines) {
      if (!line) continue;
      const r = parseResultLine(line);
      if (!r) {
        log.warn(`ignored a malformed line on the results pipe: ${line.slice(0, 200)}`);
        continue;
      }
      const f = this.inflight.get(r.s);
      if (!f) continue;
      this.inflight.delete(r.s);
      if (r.ok) {
        this.done++;
        this.crashesInARow = 0;
      } else this.failed++;
      out.push({ step: f.step, result: r, startedAt: f.startedAt });
    }
    this.markRunning(Date.now());
    if (this.inflight.size === 0 && this.state === 'busy') this.state = 'idle';
    if (out.length > 0) this.pool.emit('results', out);
  }

  /** The child starts tasks in the order sent: the first `concurrency` unfinished ones are running. */
  markRunning(now: number): void {
    let n = 0;
    for (const f of this.inflight.values()) {
      if (n++ >= this.spec.concurrency) break;
      f.startedAt ??= now;
    }
  }

  assign(steps: Step[]): void {
    const tasks: ChildTask[] = steps.map((s) => {
      this.inflight.set(s.id, { step: s, startedAt: null });
      return { s: s.id, id: s.rootId, type: s.type, d: s.dataJson, attempt: s.attempt, maxAttempts: s.maxAttempts, postback: s.postback, prev: s.parentId };
    });
    this.markRunning(Date.now());
    this.state = 'busy';
    this.send({ t: 'run', tasks });
  }

  checkTimeout(now: number): void {
    if (!this.accepting) return;
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
    const how = this.killReason ?? `worker process exited (${signal ? `signal ${signal}` : `code ${code}`})`;
    this.lastExit = how;
    this.settleReady(new Error(how));
    const running: RunResult[] = [];
    const waiting: Step[] = [];
    for (const f of this.inflight.values()) {
      if (f.startedAt !== null) running.push({ step: f.step, startedAt: f.startedAt, result: { s: f.step.id, ok: false, error: `${this.id}: ${how} while running this task`, stack: null } });
      else waiting.push(f.step);
    }
    this.inflight.clear();
    if (this.state === 'stopped') {
      // Stopped on purpose: nothing failed; whatever it still held goes back to the buffer.
      const held = [...running.map((r) => r.step), ...waiting];
      if (held.length) this.pool.emit('requeue', held);
      return;
    }
    this.failed += running.length;
    this.state = 'crashed';
    this.crashesInARow++;
    // A crash while running a task is charged to that task (its attempt fails, and it waits out its
    // own retry backoff), so a poison task must not keep the instance away from the other tasks for
    // long: at most 1 s. Crashes with nothing running (a module that cannot start) back off to 10 s.
    const delay = Math.min(running.length > 0 ? 1000 : 10_000, 100 * 2 ** Math.min(this.crashesInARow - 1, 10));
    this.pool.log.child({ worker: this.id }).warn(`${how}; ${running.length ? `failing the running task, ` : ''}restarting in ${delay} ms`);
    if (running.length) this.pool.emit('results', running);
    if (waiting.length) this.pool.emit('requeue', waiting);
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
    };
  }
}

/** The worker processes of one drone: spawns them, hands them steps, turns crashes and timeouts into failures. */
export class WorkerPool extends EventEmitter<PoolEvents> {
  private readonly byType = new Map<string, Instance[]>();
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

  /** Hands buffered steps of a type to its instances, least loaded first, one message per instance. */
  fill(type: string, pending: Step[]): void {
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

  /** Steps handed to workers and not finished, by type. */
  inflightCount(type: string): number {
    let n = 0;
    for (const i of this.byType.get(type) ?? []) n += i.inflight.size;
    return n;
  }

  runningCount(type: string): number {
    let n = 0;
    for (const i of this.byType.get(type) ?? []) for (const f of i.inflight.values()) if (f.startedAt !== null) n++;
    return n;
  }

  totalInflight(): number {
    let n = 0;
    for (const list of this.byType.values()) for (const i of list) n += i.inflight.size;
    return n;
  }

  instances(): InstanceInfo[] {
    const now = Date.now();
    return [...this.byType.values()].flat().map((i) => i.info(now));
  }

  private instance(id: string): Instance {
    const all = [...this.byType.values()].flat();
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
    await Promise.all([...this.byType.values()].flat().map((i) => i.stop(graceMs)));
  }
}
