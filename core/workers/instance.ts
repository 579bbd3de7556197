import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResolvedWorker } from '../config/load.js';
import type { Step, StepLog } from '../queue/local/types.js';
import type { Logger } from '../log/logger.js';
import {
  EXIT_LINE,
  MAX_RESULT_LINE_CHARS,
  MAX_STEP_LOG_CHARS,
  RESULTS_FD,
  isFromChild,
  parseResultLine,
  type ChildTask,
  type FromChild,
  type ToChild,
} from './protocol.js';
import { readBoundedLines } from './lineReader.js';
import { chargeExit, describeExit, respawnDelayMs } from './crashCharge.js';
import type { Inflight, RunResult } from './runResult.js';
import type { InstanceInfo, InstanceState } from '../api/types.js';
import { MAX_ERROR_BYTES, MAX_LOG_LINE_BYTES, MAX_STACK_BYTES, cutNullable, cutText } from '../util/truncate.js';

const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));
/**
 * A task running this long makes its instance "stalled": nothing more is queued behind it, and
 * what it holds unstarted goes to an idle sibling (see WorkerPool's tick).
 */
export const STALL_MS = 200;
/** The least time a worker module gets to load (see spawn). */
const LOAD_MIN_MS = 10_000;

/** The module file's version: the first 8 hex digits of the sha256 of its content; null when unreadable. */
export function codeVersionOf(file: string): string | null {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 8);
  } catch {
    return null;
  }
}

/** What an instance is given by whoever runs it: where to log, and where its news goes. */
export interface InstanceHost {
  /** The logger as it is now: the drone swaps in its own once it knows its id. */
  log(): Logger;
  /** Steps held by a worker killed with results unreported (batchResults), shared by the instances: each runs alone next time. */
  readonly suspects: Set<number>;
  /** The process loaded its module and takes work; `schema` is the JSON Schema the module exports, if any. */
  ready(type: string, schema: unknown): void;
  /** Outcomes, in batches; a crash or timeout arrives as a failure. */
  results(out: RunResult[]): void;
  /** Steps it held but never started, for the front of the buffer. */
  requeue(steps: Step[]): void;
  stepLog(line: StepLog): void;
  /** A new process is on its way. */
  spawning?(): void;
  /** A line the process wrote on stderr; true when it is news rather than a warning. */
  stderrLine?(line: string): boolean;
}

/** One worker process of a type, and what it holds: started, restarted after a crash, stopped. */
export class Instance {
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
  /** Resolves once the current process has exited and its last results and exit were handled. */
  private exited: Promise<void> = Promise.resolve();
  private readyWaiter: ((err: Error | null) => void) | null = null;
  /** The current process wrote EXIT_LINE: its exit handler ran, so every result it had is in. */
  private reportedExit = false;
  /** Time it held work, for the flow controller's service rate; since when it holds work now. */
  private busyMs = 0;
  private busySince: number | null = null;
  /** What it takes ahead when its spec sets no prefetch (the drone's flow controller decides). */
  autoPrefetch = 1;
  /** A give-back was asked of the process and not answered yet. */
  private givingBack = false;

  /** `debug`: a "debug this type" instance, with the Node inspector on loopback. */
  constructor(
    readonly id: string,
    readonly type: string,
    readonly spec: ResolvedWorker,
    private readonly host: InstanceHost,
    readonly debug = false,
  ) {}

  /** Tasks it may hold (running and queued in the process), now. */
  limitAt(now: number): number {
    // A debug instance takes one task at a time: the user sits at its breakpoints.
    if (this.debug) return 1;
    if (this.stalled(now)) return this.spec.concurrency;
    return Math.max(this.spec.prefetch ?? this.autoPrefetch, this.spec.concurrency);
  }

  /** A task it runs has been running for STALL_MS or more. */
  stalled(now: number): boolean {
    for (const f of this.inflight.values()) {
      if (f.startedAt === null) return false;
      if (now - f.startedAt >= STALL_MS) return true;
    }
    return false;
  }

  /** Tasks it holds that it has not started (as far as the drone can tell). */
  get queuedInProcess(): number {
    return Math.max(0, this.inflight.size - this.spec.concurrency);
  }

  /** Stalled and holding unstarted tasks: asks the process for them back (answered by 'givenBack'). */
  askGiveBack(): void {
    if (this.givingBack || !this.accepting || this.queuedInProcess === 0) return;
    this.givingBack = true;
    this.send({ t: 'giveBack' });
  }

  /** Cumulative: tasks finished, and time spent holding work (up to now). */
  service(now: number): { finished: number; busyMs: number } {
    return { finished: this.done + this.failed, busyMs: this.busyMs + (this.busySince === null ? 0 : now - this.busySince) };
  }

  private holding(now: number): void {
    if (this.inflight.size > 0) this.busySince ??= now;
    else if (this.busySince !== null) {
      this.busyMs += now - this.busySince;
      this.busySince = null;
    }
  }
  /** Results come once per event-loop turn of the worker (see protocol.ts); a debug instance writes each at once. */
  get batchResults(): boolean {
    return this.spec.batchResults && !this.debug;
  }
  get accepting(): boolean {
    return this.state === 'idle' || this.state === 'busy';
  }

  private log(): Logger {
    return this.host.log().child({ worker: this.id });
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
    this.host.spawning?.();
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
    const log = this.log();
    readBoundedLines(proc.stdout!, MAX_LOG_LINE_BYTES, (line) => log.info(line));
    readBoundedLines(proc.stderr!, MAX_LOG_LINE_BYTES, (line) => {
      if (this.host.stderrLine?.(line)) log.info(line);
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
    void ready.then(
      () => clearTimeout(loading),
      () => clearTimeout(loading),
    );
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
        this.settleReady(null);
        this.host.ready(this.type, m.schema);
        return;
      case 'init-error':
        this.settleReady(new Error(m.error));
        this.killReason = `init failed: ${m.error}`;
        this.proc?.kill('SIGKILL');
        return;
      case 'givenBack': {
        // Only as the answer to a giveBack: user code can call process.send too.
        if (!this.givingBack) return;
        this.givingBack = false;
        const steps: Step[] = [];
        for (const id of m.s) {
          const f = this.inflight.get(id);
          // Only what it never started: the drone's guess of what runs may be behind the process.
          if (!f) continue;
          this.inflight.delete(id);
          steps.push(f.step);
        }
        this.holding(Date.now());
        if (this.inflight.size === 0 && this.state === 'busy') this.state = 'idle';
        if (steps.length > 0) {
          log.debug(`gave back ${steps.length} unstarted task(s) held behind a long one`);
          this.host.requeue(steps);
        }
        return;
      }
      case 'log':
        log.log(m.level, m.msg, m.task ? { task: m.task } : undefined);
        if (m.s !== undefined) this.host.stepLog({ stepId: m.s, time: Date.now(), level: m.level, msg: m.msg.slice(0, MAX_STEP_LOG_CHARS) });
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
      this.host.suspects.delete(r.s);
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
    const now = Date.now();
    this.markRunning(now);
    this.holding(now);
    if (this.inflight.size === 0 && this.state === 'busy') this.state = 'idle';
    if (out.length > 0) this.host.results(out);
  }

  /**
   * The child starts tasks in the order sent: the first `concurrency` unfinished ones are running,
   * except that a suspect runs alone (it waits for those before it, and those after wait for it).
   */
  markRunning(now: number): void {
    let n = 0;
    for (const f of this.inflight.values()) {
      if (n++ >= this.spec.concurrency) break;
      const alone = this.host.suspects.has(f.step.id);
      if (alone && n > 1) break;
      f.startedAt ??= now;
      if (alone) break;
    }
  }

  assign(steps: Step[]): void {
    const tasks: ChildTask[] = steps.map((s) => {
      this.inflight.set(s.id, { step: s, startedAt: null });
      const t: ChildTask = {
        s: s.id,
        id: s.rootId,
        type: s.type,
        d: s.dataJson,
        attempt: s.attempt,
        maxAttempts: s.maxAttempts,
        postback: s.postback,
        prev: s.parentId,
      };
      if (this.host.suspects.has(s.id)) t.alone = true;
      return t;
    });
    const now = Date.now();
    this.markRunning(now);
    this.holding(now);
    this.state = 'busy';
    this.send({ t: 'run', tasks });
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
    this.holding(Date.now());
    this.givingBack = false;
    const stopped = this.state === 'stopped';
    const charge = chargeExit(held, { instance: this.id, how, stopped, resultsUnreported: this.batchResults && !this.reportedExit }, this.host.suspects);
    for (const id of charge.suspect) this.host.suspects.add(id);
    for (const id of charge.cleared) this.host.suspects.delete(id);
    if (stopped) {
      if (charge.giveBack.length) this.host.requeue(charge.giveBack);
      return;
    }
    this.failed += charge.failures.length;
    this.state = 'crashed';
    this.crashesInARow++;
    const delay = respawnDelayMs(this.crashesInARow, charge);
    const charged = charge.failures.length
      ? 'failing the running task, '
      : charge.suspect.length
        ? `${charge.suspect.length} task(s) it held may have run (batchResults: results unreported); they run again one at a time to find the one that crashed it; `
        : '';
    this.log().warn(`${how}; ${charged}restarting in ${delay} ms`);
    if (charge.failures.length) this.host.results(charge.failures);
    if (charge.giveBack.length) this.host.requeue(charge.giveBack);
    this.respawnTimer = setTimeout(() => {
      this.respawnTimer = null;
      if (this.state !== 'crashed') return;
      this.restarts++;
      this.spawn().catch((err) => this.log().error(`restart failed: ${(err as Error).message}`));
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
      id: this.id,
      type: this.type,
      pid: this.proc?.pid ?? null,
      state: this.state,
      currentTask: first?.startedAt != null ? first.step.rootId : null,
      runningForMs: first?.startedAt != null ? now - first.startedAt : null,
      done: this.done,
      failed: this.failed,
      restarts: this.restarts,
      lastExit: this.lastExit,
      codeVersion: this.codeVersion,
      debug: this.debug,
    };
  }

  startedAt(stepId: number): number | null | undefined {
    const f = this.inflight.get(stepId);
    return f ? f.startedAt : undefined;
  }
}
