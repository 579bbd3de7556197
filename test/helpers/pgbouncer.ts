import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { freePort } from './ports.js';

export interface PgBouncer {
  /** The test database's URL, through the pooler. */
  url: string;
  /** What PgBouncer logged: the tests read it for errors. */
  log(): string;
  stop(): Promise<void>;
}

/** Where Debian puts it (`apt-get install pgbouncer`; .ci/run installs it). */
export function pgBouncerPath(): string | null {
  for (const p of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (fs.existsSync(p)) return p;
  return null;
}

/**
 * A real PgBouncer in front of the test database, in transaction or session mode, with a pool of
 * `poolSize` server connections. It refuses to run as root, so as root it runs as the postgres user
 * (which the embedded server runs as too).
 */
export async function startPgBouncer(databaseUrl: string, mode: 'transaction' | 'session', poolSize = 4): Promise<PgBouncer> {
  const bin = pgBouncerPath();
  if (!bin) throw new Error('pgbouncer is not installed: apt-get install -y pgbouncer');
  // A URL with a socket directory for host (the embedded server's) has an empty host, which URL rejects.
  const m = /^postgres(?:ql)?:\/\/([^:@/]+):([^@/]*)@([^/]*)\/([^?]+)(?:\?(.*))?$/.exec(databaseUrl);
  if (!m) throw new Error(`cannot read the test database URL ${databaseUrl}`);
  const [, user, password, hostPort, dbname, query] = m;
  const params = new URLSearchParams(query ?? '');
  const host = params.get('host') ?? (hostPort.split(':')[0] || 'localhost');
  const port = params.get('port') ?? hostPort.split(':')[1] ?? '5432';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-pgbouncer-'));
  const listenPort = await freePort();
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: idOf('-u'), gid: idOf('-g') } : {};
  fs.writeFileSync(path.join(dir, 'users.txt'), `"${user}" ""\n`);
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${dbname} = host=${host} port=${port} user=${user} password=${decodeURIComponent(password)} dbname=${dbname}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${listenPort}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      `pool_mode = ${mode}`,
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 200',
      // What a stock install does: no reset in transaction mode, DISCARD ALL in session mode.
      'server_reset_query = DISCARD ALL',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  if (asRoot) {
    fs.chmodSync(dir, 0o700);
    for (const f of ['', 'users.txt', 'pgbouncer.ini']) fs.chownSync(path.join(dir, f), ids.uid!, ids.gid!);
  }
  const proc: ChildProcess = spawn(bin, [path.join(dir, 'pgbouncer.ini')], { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (b) => (stderr += b));
  const url = `postgres://${user}:${password}@127.0.0.1:${listenPort}/${dbname}`;
  const readLog = () => {
    try {
      return fs.readFileSync(path.join(dir, 'pgbouncer.log'), 'utf8') + stderr;
    } catch {
      return stderr;
    }
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`pgbouncer exited (${proc.exitCode}): ${readLog()}`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      break;
    } catch (err) {
      await c.end().catch(() => {});
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`pgbouncer did not answer on ${listenPort}: ${(err as Error).message}\n${readLog()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    log: readLog,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
}
