/**
 * Our drone as users run it: `swarmage drone` as its own process, with N instances of the no-op
 * worker (each a child process of the drone), on the case's database (SWARMAGE_DATABASE_URL).
 * Filling uses PgQueue.enqueue (one statement per 10,000 tasks); single tasks go through
 * `SELECT swarmage.enqueue(...)` as any Postgres client would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type pg from 'pg';
import { PgQueue } from '../core/queue/pg/pgQueue.js';
import { enqueueTasks } from '../core/queue/pg/enqueue.js';
import { addToken } from '../core/queue/remote/tokens.js';
import { BIN, FIXTURES, LazyClient, liveChildren, now } from './env.js';
import { ENQUEUE_CHUNK, JOB, type QueueAdapter, type Running, type StartOptions, type SystemSpec } from './system.js';
import { Curve, ProgressFiles } from './tally.js';
// The tests' PgBouncer: Debian's package, in front of the case's database.
import { startPgBouncer, type PgBouncer } from '../test/helpers/pgbouncer.js';

/** The drone's knobs the benchmark may set (everything else stays at its default). */
export interface DroneKnobs {
  maxPerWorker?: number;
  /** Tasks the drone buffers for the type in all: sets maxPerWorker to buffer ÷ instances (rounded up). */
  buffer?: number;
  pollIntervalMs?: number;
  /** Per worker instance. */
  prefetch?: number;
  concurrency?: number;
  /** Per worker instance: results once per event-loop turn (off by default; see the worker's batchResults). */
  batchResults?: boolean;
  /** The drone's claims commit without waiting for the disk (off by default; see queue.config.asyncClaimCommit). */
  asyncClaimCommit?: boolean;
  /**
   * The drone's connections go through a PgBouncer in transaction mode (started for the system):
   * with LISTEN over a direct connection of its own (SWARMAGE_LISTEN_DATABASE_URL), or without,
   * polling every 250 ms once it finds that notifications do not come back.
   */
  pgbouncer?: 'listen-direct' | 'poll';
  /**
   * The drone has no database: queue.module "remote", through a `swarmage gateway` process
   * (started for the system, on the case's database) over a WebSocket.
   */
  gateway?: boolean;
}

/**
 * The knobs for our best run, chosen by trying a few on this machine (docs/performance.md): a
 * buffer of 3,000 tasks for the type (maxPerWorker 3000 with one worker instance, 750 with four)
 * and prefetch 250 (tasks per IPC message). The buffer must hold about two claims' worth — what
 * the workers finish while one claim is on its way to Postgres and back — or they run dry between
 * claims: 2,000 drained a third slower here, 3,000–5,000 alike, and more than 10,000 slower again
 * (bigger claims and local transactions). concurrency and pollIntervalMs stay at their defaults: a
 * no-op is synchronous, and LISTEN/NOTIFY wakes the drone, so neither changes these cases.
 */
export const TUNED: DroneKnobs = { buffer: 3000, prefetch: 250 };

export function swarmageSpec(opts: {
  instances: number;
  knobs: DroneKnobs | null;
  ui?: boolean;
  /** With ui: the client also keeps the Queue view open (queue.overview every 2 s, as the view polls). */
  queueView?: boolean;
  id?: string;
  /** Another checkout of swarmage (built), run the same way: the "before" of a change, as a peer. */
  baseline?: { dir: string; label: string };
}): SystemSpec {
  // The pooler or the gateway is where the drone connects, not a knob of its own.
  const tuned = opts.knobs !== null && Object.keys(opts.knobs).some((k) => k !== 'pgbouncer' && k !== 'gateway');
  const pooled = opts.knobs?.pgbouncer
    ? [`-pgbouncer-${opts.knobs.pgbouncer}`, ` via PgBouncer (${opts.knobs.pgbouncer})`]
    : opts.knobs?.gateway
      ? ['-gateway', ' via a gateway']
      : ['', ''];
  const variant = opts.knobs?.batchResults
    ? ['batched', 'tuned+batchResults']
    : opts.knobs?.asyncClaimCommit
      ? ['asyncclaims', 'asyncClaimCommit']
      : tuned
        ? ['tuned', 'tuned']
        : ['defaults', 'defaults'];
  const suffix = opts.queueView ? '-queueview' : opts.ui ? '-ui' : '';
  const id = opts.id ?? `swarmage-${variant[0]}${pooled[0]}-${opts.instances}w${suffix}`;
  const bin = opts.baseline ? path.join(opts.baseline.dir, 'bin', 'swarmage.js') : BIN;
  return {
    id,
    family: 'swarmage',
    label: opts.baseline
      ? `${opts.baseline.label} ×${opts.instances}`
      : `swarmage ${variant[1]}${pooled[1]} ×${opts.instances}${opts.queueView ? ' +UI on the Queue view' : opts.ui ? ' +UI' : ''}`,
    ours: !opts.baseline,
    settings: { workerInstances: opts.instances, ...(opts.knobs ?? {}), ...(opts.ui ? { ui: 'swarmage drone --ui 127.0.0.1:0 + a ws client' } : {}) },
    make: (url) => new SwarmageQueue(url, opts.instances, opts.knobs ?? {}, opts.ui ?? false, bin),
  };
}

/** A `swarmage drone` process; its stderr is kept (the tail) for error messages. */
export interface DroneProcess {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Warning and error lines the drone logged (first 20), for the sample's record. */
  complaints(): string[];
  /** Resolves with the time the line matching re arrived. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<{ t: number; match: RegExpExecArray }>;
  stop(): Promise<void>;
}

/** Node options for the drone process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (Node refuses those in NODE_OPTIONS). */
const DRONE_NODE_ARGS = (process.env.SWARMAGE_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

export function spawnDrone(configFile: string, env: NodeJS.ProcessEnv, extraArgs: string[] = [], bin = BIN): DroneProcess {
  const proc = spawn(process.execPath, [...DRONE_NODE_ARGS, bin, 'drone', '--config', configFile, ...extraArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  let partial = '';
  const complaints: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (v: { t: number; match: RegExpExecArray }) => void }> = [];
  const onData = (d: Buffer) => {
    const t = now();
    const text = d.toString('utf8');
    tail = (tail + text).slice(-20_000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (/^\[(warn|error):/.test(line) && complaints.length < 20) complaints.push(line.slice(0, 500));
    for (const w of [...waiters]) {
      const m = w.re.exec(tail);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve({ t, match: m });
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  liveChildren.add(proc);
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      liveChildren.delete(proc);
      resolve(code);
    }),
  );
  return {
    proc,
    output: () => tail,
    complaints: () => complaints,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      const m = re.exec(tail);
      if (m) return Promise.resolve({ t: now(), match: m });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`swarmage drone: no line matching ${re} within ${timeoutMs} ms\n${tail.slice(-3000)}`)), timeoutMs);
        const w = {
          re,
          resolve: (v: { t: number; match: RegExpExecArray }) => {
            clearTimeout(timer);
            resolve(v);
          },
        };
        waiters.push(w);
        void exited.then((code) => {
          if (!waiters.includes(w)) return;
          clearTimeout(timer);
          reject(new Error(`swarmage drone exited (code ${code}) before a line matching ${re}\n${tail.slice(-3000)}`));
        });
      });
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export class SwarmageQueue implements QueueAdapter {
  readonly tables = ['swarmage.tasks'];
  private readonly queue: PgQueue;
  private readonly sql: LazyClient;
  private bouncer: Promise<PgBouncer> | null = null;
  private gateway: Promise<GatewayProcess> | null = null;

  constructor(
    readonly url: string,
    readonly instances: number,
    readonly knobs: DroneKnobs,
    readonly ui: boolean,
    readonly bin = BIN,
  ) {
    this.queue = new PgQueue({ connectionString: url, schema: 'swarmage', poolSize: 2 });
    this.sql = new LazyClient(url);
  }

  async setup(): Promise<void> {
    await this.queue.migrate();
  }

  async enqueue(n: number, db?: pg.ClientBase): Promise<void> {
    for (let from = 0; from < n; from += ENQUEUE_CHUNK) {
      const tasks = [];
      for (let i = from; i < Math.min(n, from + ENQUEUE_CHUNK); i++) tasks.push({ type: JOB, data: { n: i } });
      // What PgQueue.enqueue / SwarmageClient.enqueueMany run, on the caller's connection when given.
      await enqueueTasks(db ?? this.queue.pool, this.queue.schema, tasks);
    }
  }

  async enqueueOne(i: number): Promise<number> {
    await this.sql.query(`SELECT swarmage.enqueue($1, $2::jsonb)`, [JOB, JSON.stringify({ i })]);
    return now();
  }

  async remaining(): Promise<number> {
    return (await this.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM swarmage.tasks')).rows[0].n;
  }

  async reset(): Promise<void> {
    await this.sql.query('TRUNCATE swarmage.tasks');
    await this.sql.query('DELETE FROM swarmage.drones');
  }

  async start(opts: StartOptions): Promise<Running> {
    const latencyFile = path.join(opts.dir, 'latency.log');
    const worker =
      opts.mode === 'latency'
        ? { module: path.join(FIXTURES, 'latency.js'), config: { file: latencyFile } }
        : { module: path.join(FIXTURES, 'noop.js'), config: { dir: opts.dir } };
    const { prefetch, concurrency, batchResults, buffer, asyncClaimCommit, pgbouncer, gateway, ...droneKnobs } = this.knobs;
    if (buffer !== undefined) droneKnobs.maxPerWorker = Math.ceil(buffer / this.instances);
    const spec = {
      ...worker,
      ...(prefetch !== undefined ? { prefetch } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(batchResults !== undefined ? { batchResults } : {}),
    };
    const config = {
      workers: { [JOB]: this.instances === 1 ? spec : Array.from({ length: this.instances }, () => spec) },
      localQueue: { path: path.join(opts.dir, 'local.sqlite') },
      ...(asyncClaimCommit !== undefined ? { queue: { config: { asyncClaimCommit } } } : {}),
      ...droneKnobs,
    };
    const file = path.join(opts.dir, 'swarmage.config.json');
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
    const startedAt = now();
    const env: NodeJS.ProcessEnv = { ...process.env, SWARMAGE_DATABASE_URL: this.url };
    if (pgbouncer) {
      // One pooler per system, as small as a pooled deployment's share: two server connections.
      this.bouncer ??= startPgBouncer(this.url, 'transaction', 2);
      env.SWARMAGE_DATABASE_URL = (await this.bouncer).url;
      if (pgbouncer === 'listen-direct') env.SWARMAGE_LISTEN_DATABASE_URL = this.url;
    }
    if (gateway) {
      // One gateway per system, as one per site would serve its drones.
      this.gateway ??= startGateway(this.url, this.bin);
      const gw = await this.gateway;
      (config as Record<string, unknown>).queue = { module: 'remote', config: { url: gw.url } };
      fs.writeFileSync(file, JSON.stringify(config, null, 2));
      delete env.SWARMAGE_DATABASE_URL;
      env.SWARMAGE_GATEWAY_TOKEN = gw.token;
    }
    const drone = spawnDrone(file, env, this.ui ? ['--ui', '127.0.0.1:0'] : [], this.bin);
    let uiUrl: string | null = null;
    const ready = (async () => {
      if (this.ui) uiUrl = (await drone.waitFor(/operator UI on (http:\/\/\S+)/)).match[1];
      await drone.waitFor(/drone \S+ running on/);
    })();
    ready.catch(() => {});
    const files = new ProgressFiles(opts.dir);
    return {
      startedAt,
      ready,
      pid: drone.proc.pid,
      uiUrl: () => uiUrl,
      complaints: () => drone.complaints(),
      problem: () =>
        drone.proc.exitCode !== null || drone.proc.signalCode !== null
          ? `swarmage drone exited (${drone.proc.exitCode ?? drone.proc.signalCode}):\n${drone.output().slice(-3000)}`
          : null,
      curve: () => {
        files.poll();
        return new Curve(files.all());
      },
      done: () => {
        files.poll();
        return files.total();
      },
      seen: () => readLatencyFile(latencyFile),
      stop: () => drone.stop(),
    };
  }

  async close(): Promise<void> {
    if (this.bouncer) await (await this.bouncer).stop();
    if (this.gateway) await (await this.gateway).stop();
    await this.sql.end();
    await this.queue.close();
  }
}

interface GatewayProcess {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** `swarmage gateway` on the case's database, with one token that may claim the benchmark's job. */
async function startGateway(url: string, bin: string): Promise<GatewayProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-bench-gateway-'));
  const tokens = path.join(dir, 'tokens.json');
  const token = addToken(tokens, { name: 'bench', claim: [JOB], enqueue: [], inspect: true });
  const proc = spawn(process.execPath, [bin, 'gateway', '--tokens', tokens, '--listen', '127.0.0.1:0'], {
    cwd: dir,
    env: { ...process.env, SWARMAGE_DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(proc);
  const exited = new Promise<void>((resolve) => proc.on('exit', () => (liveChildren.delete(proc), resolve())));
  let out = '';
  const gwUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`swarmage gateway did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      const m = /gateway on (ws:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`swarmage gateway exited:\n${out}`)));
  });
  return {
    url: gwUrl,
    token,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readLatencyFile(file: string): Map<number, number> {
  const seen = new Map<number, number>();
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return seen;
  }
  for (const line of text.split('\n')) {
    const [i, t] = line.split(' ').map(Number);
    if (Number.isFinite(i) && Number.isFinite(t) && !seen.has(i)) seen.set(i, t);
  }
  return seen;
}
