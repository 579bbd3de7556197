/**
 * The entry of a worker process: loads the user's module, runs the tasks the drone sends, one at a
 * time (or `concurrency` at a time), and sends results back in batches.
 */
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import fs from 'node:fs';
import { EXIT_LINE, MAX_STEP_LOG_LINES, RESULTS_FD, type ChildResult, type ChildTask, type FromChild, type ToChild } from './protocol.js';
import { MAX_PAYLOAD_BYTES } from '../queue/limits.js';
import { MAX_ERROR_BYTES, MAX_LOG_LINE_BYTES, MAX_STACK_BYTES, cutText } from '../util/truncate.js';
import type { Task, WorkerContext, WorkerModule } from './workerApi.js';

const concurrency = Math.max(1, Number(process.env.SWARMAGE_WORKER_CONCURRENCY) || 1);
const batchResults = process.env.SWARMAGE_WORKER_BATCH_RESULTS === '1';
let worker: WorkerModule | null = null;
let instance = '';
const waiting: ChildTask[] = [];
let running = 0;
let stopping = false;
const pause = new Int32Array(new SharedArrayBuffer(4));

function send(msg: FromChild): void {
  process.send?.(msg);
}

/** Writes text to the results pipe, whole, before anything else runs (see protocol.ts). */
function writeLines(text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(RESULTS_FD, buf, off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A non-blocking pipe that is full: wait a moment for the drone to read, without yielding.
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
      else process.exit(0); // EPIPE and the like: the drone is gone
    }
  }
}

/** batchResults: result lines not written yet, and whether a write is due at the end of this turn. */
let unwritten = '';
let flushDue = false;

function flush(): void {
  flushDue = false;
  if (unwritten === '') return;
  const text = unwritten;
  unwritten = '';
  writeLines(text);
}

let idle: (() => void) | null = null;

function finish(result: ChildResult, alone: boolean): void {
  unwritten += JSON.stringify(result) + '\n';
  if (!batchResults || alone || unwritten.length >= 65_536) flush();
  else if (!flushDue) {
    flushDue = true;
    setImmediate(flush);
  }
}

/** Lines each running step logged so far: the first MAX_STEP_LOG_LINES carry its step id (kept in its trace). */
const logged = new Map<number, number>();

function log(level: 'debug' | 'info' | 'warn' | 'error', t: ChildTask, args: unknown[]): void {
  const n = logged.get(t.s);
  if (n !== undefined) logged.set(t.s, n + 1);
  // Cut here too, so that a megabyte line does not cross the IPC channel only to be cut by the drone.
  const msg = cutText(format(...args), MAX_LOG_LINE_BYTES);
  // After the step finished (a callback it left behind), or beyond the limit: the live log only.
  send(n !== undefined && n < MAX_STEP_LOG_LINES ? { t: 'log', level, msg, task: t.id, s: t.s } : { t: 'log', level, msg, task: t.id });
}

/** What a task's failure records; cut here so the results pipe carries no megabyte error lines. */
function errorOf(err: unknown): { error: string; stack: string | null } {
  if (err instanceof Error)
    return {
      error: cutText(String(err.message || err.name), MAX_ERROR_BYTES),
      stack: typeof err.stack === 'string' ? cutText(err.stack, MAX_STACK_BYTES) : null,
    };
  return { error: cutText(typeof err === 'string' ? err : format(err), MAX_ERROR_BYTES), stack: null };
}

async function runOne(t: ChildTask): Promise<void> {
  const task: Task = {
    id: t.id,
    stepId: t.s,
    type: t.type,
    data: JSON.parse(t.d),
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    postback: t.postback,
    prev: t.prev,
  };
  const ctx: WorkerContext = {
    instance,
    log: Object.assign((...a: unknown[]) => log('info', t, a), {
      debug: (...a: unknown[]) => log('debug', t, a),
      info: (...a: unknown[]) => log('info', t, a),
      warn: (...a: unknown[]) => log('warn', t, a),
      error: (...a: unknown[]) => log('error', t, a),
    }),
  };
  logged.set(t.s, 0);
  const at = Date.now();
  try {
    const out = await worker!.work(task, ctx);
    const result = encodeResult(t.s, out);
    result.at = at;
    finish(result, t.alone === true);
  } catch (err) {
    const { error, stack } = errorOf(err);
    finish({ s: t.s, ok: false, error, stack, at }, t.alone === true);
  } finally {
    logged.delete(t.s);
  }
}

/** A result the drone cannot take: the worker would return the same on every attempt, so none is made (final). */
const refused = (s: number, error: string): ChildResult => ({ s, ok: false, error, stack: null, final: true });

/** A `{ type: "local:NAME", data }` result chains; anything else is the final result. */
function encodeResult(s: number, out: unknown): ChildResult {
  let next: string | undefined;
  let value = out;
  const chain = out as { type?: unknown; data?: unknown } | null;
  if (chain !== null && typeof chain === 'object' && typeof chain.type === 'string' && chain.type.startsWith('local:')) {
    next = chain.type.slice('local:'.length);
    value = chain.data;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value === undefined ? null : value);
  } catch (err) {
    return refused(s, `the worker returned a value that is not JSON-serialisable: ${(err as Error).message}`);
  }
  if (json === undefined) return refused(s, `the worker returned a value that is not JSON-serialisable (${typeof value})`);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_PAYLOAD_BYTES) return refused(s, `the worker returned ${bytes} bytes of JSON; the limit is ${MAX_PAYLOAD_BYTES} (1 MiB)`);
  if (json.includes('\\u0000')) return refused(s, 'the worker returned text containing the NUL character (\\u0000), which Postgres cannot store');
  if (next !== undefined && next.length === 0) return refused(s, 'the worker returned type "local:" with no task type after it');
  return next === undefined ? { s, ok: true, json } : { s, ok: true, next, json };
}

/** A suspect is running (see protocol.ts): nothing else starts until it is done. */
let aloneRunning = false;

function pump(): void {
  while (running < concurrency && waiting.length > 0 && !stopping && !aloneRunning) {
    if (waiting[0].alone) {
      // Every result before it is written first, so a crash now is this task's alone.
      if (running > 0) return;
      flush();
      aloneRunning = true;
    }
    const t = waiting.shift()!;
    running++;
    void runOne(t).finally(() => {
      running--;
      if (t.alone) aloneRunning = false;
      if (running === 0) idle?.();
      pump();
    });
  }
}

async function load(msg: Extract<ToChild, { t: 'init' }>): Promise<void> {
  instance = msg.instance;
  // A user's module: its shape is checked below, before anything is called.
  let mod: { default?: unknown; schema?: unknown };
  try {
    mod = await import(pathToFileURL(msg.modulePath).href);
  } catch (err) {
    send({ t: 'init-error', error: `cannot load ${msg.modulePath}: ${(err as Error)?.message ?? String(err)}` });
    return;
  }
  const exp = (mod.default ?? mod) as { schema?: unknown } | (new (config: unknown) => WorkerModule) | null;
  const schema = mod.schema ?? (exp as { schema?: unknown } | null)?.schema;
  try {
    if (typeof exp === 'function') {
      worker = new exp(msg.config) as WorkerModule;
    } else {
      worker = exp as WorkerModule;
    }
    if (!worker || typeof worker.work !== 'function') {
      send({
        t: 'init-error',
        error: `${msg.modulePath}: the default export must be an object with a work(task, ctx) function, or a class whose instances have one`,
      });
      return;
    }
    await worker.init?.(msg.config);
  } catch (err) {
    send({ t: 'init-error', error: `${msg.modulePath}: init failed: ${errorOf(err).error}` });
    return;
  }
  send(schema !== undefined && schema !== null ? { t: 'ready', schema: jsonSafe(schema, msg.modulePath) } : { t: 'ready' });
}

/** A schema must cross the IPC channel as JSON: anything else is reported instead of crashing the send. */
function jsonSafe(schema: unknown, modulePath: string): unknown {
  try {
    return JSON.parse(JSON.stringify(schema));
  } catch (err) {
    send({ t: 'log', level: 'warn', msg: `${modulePath}: the exported schema is not JSON (${(err as Error).message}); ignored` });
    return undefined;
  }
}

process.on('message', (msg: ToChild) => {
  if (msg.t === 'init') void load(msg);
  else if (msg.t === 'run') {
    waiting.push(...msg.tasks);
    pump();
  } else if (msg.t === 'giveBack') {
    // Tasks not started yet: started ones stay, so none runs twice.
    send({ t: 'givenBack', s: waiting.splice(0).map((t) => t.s) });
  } else if (msg.t === 'stop') {
    // Finish what is running (the drone gives the waiting ones to other instances), report, exit.
    stopping = true;
    const finished = running === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
    void finished
      .then(() => worker?.close?.())
      .catch(() => {})
      .finally(() => process.exit(0));
  }
});

// Whatever ends the process from here on (process.exit, an uncaught exception) leaves nothing
// unreported, and says so; only a kill from outside or a native crash skips this.
process.on('exit', () => {
  flush();
  writeLines(EXIT_LINE + '\n');
});

// The drone went away: nothing left to work for.
process.on('disconnect', () => process.exit(0));

// Ctrl-C, `kill %1` and systemd signal the drone's whole process group, this process too. The drone
// stops its workers itself (a 'stop' message once running tasks may finish, a kill after its grace
// period), so here these signals are not the end: a task running now finishes and is reported.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
