import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import crypto from 'node:crypto';
import type { ClaimedTask } from '../types.js';
import { nativeBindingPath } from './nativeBinding.js';

/** One unit of work in this drone: a claimed global task, or a `local:` hop of one. */
export interface Step {
  id: number;
  rootId: string;
  parentId: number | null;
  type: string;
  dataJson: string;
  postback: string | null;
  attempt: number;
  maxAttempts: number;
  /** When the root task was created on the global queue (ms since epoch). */
  createdAt: number;
  /** When this step entered the local queue. */
  queuedAt: number;
}

export type Outcome =
  | { kind: 'hop'; step: Step; nextType: string; nextDataJson: string }
  | { kind: 'done'; step: Step; resultJson: string }
  | { kind: 'failed'; step: Step; error: string; stack: string | null; retryInMs: number };

export interface Finished {
  rootId: string;
  state: 'done' | 'failed';
  resultJson: string | null;
  error: string | null;
  stack: string | null;
  retryInMs: number;
}

export class LocalQueueError extends Error {
  override name = 'LocalQueueError';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
  id           INTEGER PRIMARY KEY,
  root_id      TEXT NOT NULL,
  parent_id    INTEGER,
  type         TEXT NOT NULL,
  data         TEXT NOT NULL,
  state        TEXT NOT NULL DEFAULT 'queued',  -- queued | hopped | done | failed
  result       TEXT,
  error        TEXT,
  stack        TEXT,
  retry_ms     INTEGER,
  postback     TEXT,
  attempt      INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  queued_at    INTEGER NOT NULL,
  finished_at  INTEGER
);
CREATE INDEX IF NOT EXISTS steps_root ON steps (root_id);
CREATE INDEX IF NOT EXISTS steps_finished ON steps (state) WHERE state IN ('done', 'failed');
`;

/**
 * Why the local queue file cannot be created or written where it is, in words; null when no reason
 * is found. SQLite and mkdir do not say it ("unable to open database file", or EEXIST for a path
 * under a regular file), and a drone that cannot hold tasks must say why before it claims any.
 */
function whyUnwritable(file: string): string | null {
  let dir = path.dirname(file);
  while (!fs.existsSync(dir)) dir = path.dirname(dir);
  if (!fs.statSync(dir).isDirectory()) return `${dir} is not a directory`;
  const target = fs.existsSync(file) ? file : dir;
  try {
    fs.accessSync(target, fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EROFS' ? `${target} is on a read-only file system` : `${target} is not writable (${code})`;
  }
  return null;
}

/**
 * The drone's durable buffer (SQLite, WAL). Every claimed task and every chain step is written here
 * before a worker sees it, and stays until Postgres has acknowledged its outcome, so a drone killed
 * at any moment restarts with exactly what it held. One process owns the file (exclusive lock).
 */
export class LocalQueue {
  private db: Database.Database;
  private readonly st;
  readonly path: string;

  constructor(file: string) {
    this.path = path.resolve(file);
    try {
      fs.mkdirSync(path.dirname(this.path), { recursive: true });
      // Under Electron: the build for its ABI (build/native); under Node: the package's own build.
      this.db = new Database(this.path, { timeout: 2000, nativeBinding: nativeBindingPath() });
    } catch (err) {
      throw new LocalQueueError(`local queue ${this.path}: cannot open: ${whyUnwritable(this.path) ?? (err as Error).message}`);
    }
    try {
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a killed process (only a power loss can drop the last commits).
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.exec(SCHEMA);
      // Writing takes the exclusive lock now rather than at the first task.
      this.db.prepare(`INSERT INTO meta (key, value) VALUES ('pid', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(process.pid));
    } catch (err) {
      this.db.close();
      const e = err as Error & { code?: string };
      if (e.code === 'SQLITE_BUSY') {
        throw new LocalQueueError(`local queue ${this.path} is in use by another drone; give each drone its own localQueue.path`);
      }
      throw new LocalQueueError(`local queue ${this.path}: ${whyUnwritable(this.path) ?? e.message}`);
    }
    const db = this.db;
    this.st = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      insert: db.prepare(`INSERT INTO steps (root_id, parent_id, type, data, postback, attempt, max_attempts, created_at, queued_at)
                          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      hop: db.prepare(`UPDATE steps SET state = 'hopped', finished_at = ? WHERE id = ?`),
      done: db.prepare(`UPDATE steps SET state = 'done', result = ?, finished_at = ? WHERE id = ?`),
      failed: db.prepare(`UPDATE steps SET state = 'failed', error = ?, stack = ?, retry_ms = ?, finished_at = ? WHERE id = ?`),
      queued: db.prepare(`SELECT id, root_id, parent_id, type, data, postback, attempt, max_attempts, created_at, queued_at
                          FROM steps WHERE state = 'queued' ORDER BY id`),
      finished: db.prepare(`SELECT root_id, state, result, error, stack, retry_ms FROM steps
                            WHERE state IN ('done', 'failed') ORDER BY id LIMIT ?`),
      refail: db.prepare(`UPDATE steps SET state = 'failed', result = NULL, error = ?, stack = NULL, retry_ms = ? WHERE root_id = ? AND state IN ('done', 'failed')`),
      forget: db.prepare(`DELETE FROM steps WHERE root_id IN (SELECT value FROM json_each(?))`),
      roots: db.prepare<[], { root_id: string }>(`SELECT DISTINCT root_id FROM steps`),
      counts: db.prepare<[], { type: string; n: number }>(`SELECT type, count(*) AS n FROM steps WHERE state = 'queued' GROUP BY type`),
    };
  }

  /** This drone's id: made once (hostname-pid-random, as the seed did) and kept in the file. */
  droneId(alias?: string): string {
    const stored = this.st.getMeta.get('drone_id')?.value;
    if (alias) {
      if (stored !== alias) this.st.setMeta.run('drone_id', alias);
      return alias;
    }
    if (stored) return stored;
    const id = `${os.hostname()}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    this.st.setMeta.run('drone_id', id);
    return id;
  }

  /** Buffers a claimed batch in one transaction. */
  insertClaimed(tasks: ClaimedTask[]): Step[] {
    const now = Date.now();
    return this.db.transaction(() => tasks.map((t) => this.insertStep({
      rootId: t.id, parentId: null, type: t.type, dataJson: t.dataJson, postback: t.postback,
      attempt: t.attempt, maxAttempts: t.maxAttempts, createdAt: t.createdAt, queuedAt: now,
    })))();
  }

  /** Records a batch of worker outcomes in one transaction; returns the new steps that hops created. */
  record(outcomes: Outcome[]): Step[] {
    const now = Date.now();
    return this.db.transaction(() => {
      const created: Step[] = [];
      for (const o of outcomes) {
        if (o.kind === 'hop') {
          this.st.hop.run(now, o.step.id);
          created.push(this.insertStep({ ...o.step, parentId: o.step.id, type: o.nextType, dataJson: o.nextDataJson, queuedAt: now }));
        } else if (o.kind === 'done') {
          this.st.done.run(o.resultJson, now, o.step.id);
        } else {
          this.st.failed.run(o.error, o.stack, Math.round(o.retryInMs), now, o.step.id);
        }
      }
      return created;
    })();
  }

  private insertStep(s: Omit<Step, 'id'>): Step {
    const info = this.st.insert.run(s.rootId, s.parentId, s.type, s.dataJson, s.postback, s.attempt, s.maxAttempts, s.createdAt, s.queuedAt);
    return { ...s, id: Number(info.lastInsertRowid) };
  }

  /** Steps waiting for a worker (after a restart: also those that were running when it died). */
  queued(): Step[] {
    return (this.st.queued.all() as any[]).map((r) => ({
      id: r.id, rootId: r.root_id, parentId: r.parent_id, type: r.type, dataJson: r.data, postback: r.postback,
      attempt: r.attempt, maxAttempts: r.max_attempts, createdAt: r.created_at, queuedAt: r.queued_at,
    }));
  }

  /** Chains that ended and whose outcome Postgres has not acknowledged yet: the outbox. */
  finished(limit: number): Finished[] {
    return (this.st.finished.all(limit) as any[]).map((r) => ({
      rootId: r.root_id, state: r.state, resultJson: r.result, error: r.error, stack: r.stack, retryInMs: r.retry_ms ?? 0,
    }));
  }

  /** Turns a finished chain's outcome into a failure (its result could not be stored). */
  refail(rootId: string, error: string, retryInMs: number): void {
    this.st.refail.run(error, Math.round(retryInMs), rootId);
  }

  /** Removes whole chains (after Postgres acknowledged them, or when they are given back). */
  forget(rootIds: string[]): void {
    if (rootIds.length > 0) this.st.forget.run(JSON.stringify(rootIds));
  }

  /** Global tasks this drone holds in any state. */
  heldRootIds(): string[] {
    return this.st.roots.all().map((r) => r.root_id);
  }

  queuedCounts(): Map<string, number> {
    return new Map(this.st.counts.all().map((r) => [r.type, r.n]));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
