/**
 * One small file per running UI host, as Jupyter's jpserver-<pid>.json: how the owner's tools
 * (`swarmage ui`, tests) find the login URL without the token ever being on a command line. The
 * files hold the token, so they are 0600 in a 0700 folder of the user's own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureHomeDir, swarmageHome } from '../db/paths.js';
import { ensurePrivateDir, PRIVATE_DIR, PRIVATE_FILE, writeFileAtomic } from '../util/privateFiles.js';

export interface ServerInfo {
  pid: number;
  /** The UI's address, without the token. */
  url: string;
  /** The address to open once: it carries the token and trades it for the login cookie. */
  loginUrl: string;
  token: string;
  /** The drone's config file, or null when it has none yet. */
  configFile: string | null;
  /** ISO time the host started listening. */
  started: string;
}

/** $XDG_RUNTIME_DIR/swarmage where the session has one (per-user, 0700, cleared at logout), else <swarmage home>/run. */
export function serverInfoDir(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return runtime ? path.join(runtime, 'swarmage') : path.join(swarmageHome(), 'run');
}

const FILE = /^ui-(\d+)-(\d+)\.json$/;

/**
 * The folder, made 0700 if it is ours. One that belongs to another user, or is not a plain folder
 * (a symlink planted in a shared place), is refused: the token must not land where others can read.
 */
function privateDir(dir: string): string {
  ensureHomeDir(path.dirname(dir));
  ensurePrivateDir(dir);
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) throw new Error(`${dir}: expected a folder for the UI's server files, found something else (a symlink?)`);
  if (uid !== undefined && st.uid !== uid) throw new Error(`${dir}: belongs to uid ${st.uid}, not to this user (${uid}); refusing to write the UI token there`);
  if ((st.mode & 0o777) !== PRIVATE_DIR) fs.chmodSync(dir, PRIVATE_DIR);
  return dir;
}

export function writeServerInfo(info: ServerInfo, port: number, dir = serverInfoDir()): string {
  const file = path.join(privateDir(dir), `ui-${info.pid}-${port}.json`);
  writeFileAtomic(file, JSON.stringify(info, null, 2) + '\n', PRIVATE_FILE);
  return file;
}

export function removeServerInfo(file: string): void {
  fs.rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: gone. EPERM: the pid now belongs to another user's process, so our drone is gone too.
    return false;
  }
}

/**
 * The UIs of this user's running drones, oldest first. Files whose process is gone (a drone killed
 * outright cannot remove its own) are removed; unreadable or malformed ones are skipped.
 */
export function listServerInfo(dir = serverInfoDir()): ServerInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const found: ServerInfo[] = [];
  for (const name of names) {
    const m = FILE.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    if (!alive(Number(m[1]))) {
      removeServerInfo(file);
      continue;
    }
    try {
      const info = JSON.parse(fs.readFileSync(file, 'utf8')) as ServerInfo;
      if (typeof info.loginUrl === 'string' && typeof info.url === 'string') found.push(info);
    } catch {
      // being written, or not ours to read: skip it
    }
  }
  return found.sort((a, b) => a.started.localeCompare(b.started));
}
