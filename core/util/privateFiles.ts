/**
 * Files that hold task data or secrets (the local queue, logs, the UI's token file, a saved config)
 * are readable by their owner only, whatever the umask: modes are set explicitly with fchmod/chmod
 * after creation, since open()'s mode argument is filtered through the umask.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** Ours to chmod: a process may only change the mode of what it owns (root owns everything here). */
function owned(st: fs.Stats): boolean {
  const uid = process.getuid?.();
  return uid === undefined || uid === 0 || st.uid === uid;
}

/**
 * Creates `dir` and any missing parents; the folders created here get 0700. An existing folder is
 * left as it is (it may be the user's project folder, shared on purpose).
 */
export function ensurePrivateDir(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d, { mode: PRIVATE_DIR });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      continue;
    }
    fs.chmodSync(d, PRIVATE_DIR);
  }
}

/** Tightens an existing file of ours to 0600 (a file left 0644 by an older version, or by a umask). */
export function makePrivate(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return;
  }
  if (st.isFile() && owned(st) && (st.mode & 0o777) !== PRIVATE_FILE) fs.chmodSync(file, PRIVATE_FILE);
}

/**
 * Makes sure `file` exists as a regular file with mode 0600 before someone else (SQLite, a log
 * sink) opens it: created exclusively when missing, tightened when it is ours. Its folder is created
 * 0700 when missing.
 */
export function ensurePrivateFile(file: string): void {
  ensurePrivateDir(path.dirname(file));
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0), PRIVATE_FILE);
    try {
      fs.fchmodSync(fd, PRIVATE_FILE);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    makePrivate(file);
  }
}

/** Opens `file` for appending (a log), created 0600 if missing. */
export function openPrivateAppend(file: string): number {
  ensurePrivateFile(file);
  return fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | (fs.constants.O_NOFOLLOW ?? 0));
}

/**
 * Replaces `file` with `data` atomically: a temp file beside it, created exclusively (O_EXCL, so
 * never through a symlink someone planted) with `mode`, then renamed over it. `mode` defaults to the
 * existing file's (a saved config keeps its mode), else 0600. A file that is a symlink of the user's
 * (a config kept with their dotfiles) is replaced where it points, and stays a link; as root, the
 * file keeps its owner, so that a drone run by root does not take a user's config from them.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode?: number): void {
  let target = file;
  let existing: fs.Stats | null = null;
  try {
    target = fs.realpathSync(file);
    existing = fs.statSync(target);
  } catch {
    // Not there yet: created as `file`.
  }
  const keep = mode ?? (existing ? existing.mode & 0o777 : PRIVATE_FILE);
  ensurePrivateDir(path.dirname(target));
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0), keep);
  try {
    if (existing && process.getuid?.() === 0 && (existing.uid !== 0 || existing.gid !== 0)) fs.fchownSync(fd, existing.uid, existing.gid);
    fs.fchmodSync(fd, keep);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
