import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { before, after } from 'node:test';
import type pg from 'pg';
import { resolveConfig, type ResolvedConfig } from '../../core/config/load.js';
import type { ConfigInput } from '../../core/config/schema.js';
import type { Drone } from '../../core/drone/drone.js';
import { createDrone } from '../../core/drone/createDrone.js';
import { Logger, LogRing, StderrSink, type LogSink } from '../../core/log/logger.js';
import { SwarmageClient } from '../../core/swarmageClient.js';
import { freshSchema, sqlClient, testDatabaseUrl } from './db.js';
import { BIN, tmpDir } from './tmp.js';

export interface TestDrone {
  drone: Drone;
  ring: LogRing;
  config: ResolvedConfig;
}

type QueueSettings = NonNullable<NonNullable<ConfigInput['queue']>['config']>;

/**
 * A real drone in this process (its workers are real child processes), on a schema of its own;
 * `queue` adds queue.config settings.
 */
export async function startDrone(
  url: string,
  schema: string,
  config: Omit<ConfigInput, 'queue'> & { dir?: string; queue?: Omit<QueueSettings, 'schema'> },
): Promise<TestDrone> {
  const dir = config.dir ?? tmpDir();
  const { dir: _d, queue, ...rest } = config;
  const resolved = resolveConfig(
    {
      localQueue: { path: path.join(dir, 'local.sqlite') },
      pollIntervalMs: 200,
      ...rest,
      queue: { config: { ...queue, connectionString: url, schema } },
    },
    { dir },
  );
  const ring = new LogRing(20_000);
  const sinks: LogSink[] = [ring];
  if (process.env.TEST_LOG) sinks.push(new StderrSink());
  const drone = await createDrone({ config: resolved, logger: new Logger('debug', sinks) });
  await drone.start();
  return { drone, ring, config: resolved };
}

/**
 * A describe block's drones on the test database: `start` runs one on a fresh schema, with a client
 * on that schema; `client` connects one alone. `url` and `sql` (a plain client for assertions) are
 * set before the block's tests; everything is stopped after them.
 */
export function droneSuite() {
  const drones: TestDrone[] = [];
  const clients: SwarmageClient[] = [];
  const suite = {
    url: '',
    sql: null as unknown as pg.Client,
    async client(schema: string): Promise<SwarmageClient> {
      const c = await SwarmageClient.connect({ connectionString: suite.url, schema });
      clients.push(c);
      return c;
    },
    async start(config: Parameters<typeof startDrone>[2], schema = freshSchema()) {
      const d = await startDrone(suite.url, schema, config);
      drones.push(d);
      return { ...d, schema, client: await suite.client(schema) };
    },
  };
  before(async () => {
    suite.url = await testDatabaseUrl();
    suite.sql = await sqlClient(suite.url);
  });
  after(async () => {
    await Promise.all(drones.map((d) => d.drone.stop()));
    await Promise.all(clients.map((c) => c.close()));
    await suite.sql?.end();
  });
  return suite;
}

/**
 * Writes a config file and runs `swarmage drone` as its own process, as a user would. `opts.env`
 * adds variables (SWARMAGE_FAULTS for the fault suite), `opts.args` command-line options (--ui).
 */
export function spawnDrone(
  url: string,
  dir: string,
  config: Record<string, unknown>,
  opts: { env?: Record<string, string>; args?: string[] } = {},
): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
  fs.writeFileSync(path.join(dir, 'swarmage.config.json'), JSON.stringify(config, null, 2));
  const proc = spawn(process.execPath, [BIN, 'drone', '--config', path.join(dir, 'swarmage.config.json'), ...(opts.args ?? [])], {
    env: { ...process.env, SWARMAGE_DATABASE_URL: url, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => {
    out += d;
    if (process.env.TEST_LOG) process.stderr.write(d);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    proc.stdin?.end(opts.input);
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d) => (stdout += d));
    proc.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`swarmage ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
