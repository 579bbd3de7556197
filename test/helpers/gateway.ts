import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { PgQueue } from '../../core/queue/pg/pgQueue.js';
import { Gateway } from '../../core/queue/remote/gateway.js';
import { RemoteQueue } from '../../core/queue/remote/remoteQueue.js';
import { addToken, TokenStore } from '../../core/queue/remote/tokens.js';
import type { Grants } from '../../core/queue/remote/protocol.js';
import { Logger, LogRing, StderrSink, type LogSink } from '../../core/log/logger.js';
import { freshSchema } from './db.js';
import { BIN, tmpDir, waitFor } from './tmp.js';

export interface TestGateway {
  gateway: Gateway;
  /** The gateway's own queue, straight to Postgres (for assertions and setup). */
  pg: PgQueue;
  tokensFile: string;
  ring: LogRing;
  /** Adds a token (all grants by default) and returns it. */
  token(grants?: Partial<Grants>): string;
  /** A RemoteQueue through this gateway with a new token of these grants. */
  remote(grants?: Partial<Grants>): RemoteQueue;
  close(): Promise<void>;
}

let names = 0;

/** A real gateway on a loopback port, over its own schema of the test database (migrated). */
export async function startGateway(url: string, opts: { schema?: string; port?: number } = {}): Promise<TestGateway> {
  const pg = new PgQueue({ connectionString: url, schema: opts.schema ?? freshSchema(), poolSize: 10 });
  await pg.migrate();
  const tokensFile = path.join(tmpDir(), 'tokens.json');
  const token = (grants: Partial<Grants> = {}) => addToken(tokensFile, { name: `t${++names}`, claim: ['*'], enqueue: ['*'], inspect: true, ...grants });
  token({ name: 'boot' });
  const ring = new LogRing(5000);
  const sinks: LogSink[] = [ring];
  if (process.env.TEST_LOG) sinks.push(new StderrSink());
  const gateway = new Gateway({ queue: pg, tokens: new TokenStore(tokensFile), log: new Logger('debug', sinks), host: '127.0.0.1', port: opts.port ?? 0 });
  await gateway.start();
  const remotes: RemoteQueue[] = [];
  return {
    gateway,
    pg,
    tokensFile,
    ring,
    token,
    remote(grants = {}) {
      const r = new RemoteQueue({ url: gateway.url, token: token(grants) });
      remotes.push(r);
      return r;
    },
    async close() {
      for (const r of remotes) await r.close();
      await gateway.close();
      await pg.close();
    },
  };
}

export interface GatewayProcess {
  proc: ChildProcess;
  /** ws://127.0.0.1:PORT (wss:// with a certificate), once it listens. */
  url: string;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * `swarmage gateway` as its own process, as a user runs it: on `schema` of the database at `dbUrl`,
 * with the tokens in `tokensFile`; port 0 picks a free one (a restart passes the port it had).
 */
export async function spawnGateway(dbUrl: string, schema: string, tokensFile: string, port = 0, extraArgs: string[] = []): Promise<GatewayProcess> {
  const dir = tmpDir();
  const config = path.join(dir, 'gateway.config.json');
  fs.writeFileSync(config, JSON.stringify({ queue: { config: { schema } }, workers: {} }));
  const proc = spawn(process.execPath, [BIN, 'gateway', '--config', config, '--tokens', tokensFile, '--listen', `127.0.0.1:${port}`, ...extraArgs], {
    env: { ...process.env, SWARMAGE_DATABASE_URL: dbUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (d: Buffer) => {
    out += d;
    if (process.env.TEST_LOG) process.stderr.write(d);
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = await waitFor(
    'the gateway listening',
    () => {
      if (gone) throw new Error(`swarmage gateway exited:\n${out}`);
      return /gateway on (wss?:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    },
    60_000,
  );
  return { proc, url, port: Number(url.split(':').at(-1)), output: () => out, exited };
}
