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
  /** Ids of the earlier steps of this chain, oldest first: acknowledged together with this one. */
  chain: number[];
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

export type Outcome = { startedAt?: number | null } & (
  | { kind: 'hop'; step: Step; nextType: string; nextDataJson: string }
  | { kind: 'done'; step: Step; resultJson: string }
  | { kind: 'failed'; step: Step; error: string; stack: string | null; retryInMs: number });

/** A chain that ended and waits for Postgres to acknowledge it: one entry of the outbox. */
export interface Finished {
  rootId: string;
  /** Every step of the chain, marked acknowledged together. */
  stepIds: number[];
  postback: string | null;
  state: 'done' | 'failed';
  resultJson: string | null;
  error: string | null;
  stack: string | null;
  retryInMs: number;
}

/** How long acknowledged steps stay in the file as history (traces); whichever limit comes first. */
export interface Retention {
  keepSteps: number;
  keepMs: number;
}

export class LocalQueueError extends Error {
  override name = 'LocalQueueError';
}

/**
 * Version 2: steps stay after their acknowledgement (acked_at) as history, pruned by retention;
 * ids never repeat (AUTOINCREMENT), so history and logs can point at them. No secondary index: the
 * hot path touches rows by id only, and the rest (start-up, give-back, history) scans a bounded table.
 */
const VERSION = 2;
const STEPS = `
CREATE TABLE steps (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
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
  started_at   INTEGER,
  finished_at  INTEGER,
  acked_at     INTEGER
)`;
const COLUMNS_V1 = 'id, root_id, parent_id, type, data, state, result, error, stack, retry_ms, postback, attempt, max_attempts, created_at, queued_at, finished_at';

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
 * at any moment restarts with exactly what it held; after that it stays a while as history. One
 * process owns the file (exclusive lock), so the set of chains it holds is kept in memory too.
 */
export class LocalQueue {
  private db: Database.Database;
  private readonly st;
  readonly path: string;
  /** Root ids of the chains not yet acknowledged: what this drone holds on the global queue. */
  private readonly held = new Set<string>();

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
      // The hot rows (the newest steps, and the oldest history being pruned) are written many times
      // over; a longer WAL between checkpoints copies each such page once instead of many times.
      this.db.pragma('wal_autocheckpoint = 8000');
      this.migrate();
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
    const unacked = `acked_at IS NULL`;
    this.st = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      insert: db.prepare(`INSERT INTO steps (root_id, parent_id, type, data, postback, attempt, max_attempts, created_at, queued_at)
                          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      hop: db.prepare(`UPDATE steps SET state = 'hopped', started_at = ?, finished_at = ? WHERE id = ?`),
      done: db.prepare(`UPDATE steps SET state = 'done', result = ?, started_at = ?, finished_at = ? WHERE id = ?`),
      failed: db.prepare(`UPDATE steps SET state = 'failed', error = ?, stack = ?, retry_ms = ?, started_at = ?, finished_at = ? WHERE id = ?`),
      ack: db.prepare(`UPDATE steps SET acked_at = ? WHERE id BETWEEN ? AND ?`),
      queued: db.prepare(`SELECT id, root_id, parent_id, type, data, postback, attempt, max_attempts, created_at, queued_at
                          FROM steps WHERE state = 'queued' AND ${unacked} ORDER BY id`),
      unackedSteps: db.prepare(`SELECT id, root_id, parent_id, state, postback, result, error, stack, retry_ms FROM steps WHERE ${unacked} ORDER BY id`),
      refail: db.prepare(`UPDATE steps SET state = 'failed', result = NULL, error = ?, stack = NULL, retry_ms = ? WHERE root_id = ? AND state IN ('done', 'failed') AND ${unacked}`),
      forget: db.prepare(`DELETE FROM steps WHERE ${unacked} AND root_id IN (SELECT value FROM json_each(?))`),
      roots: db.prepare<[], { root_id: string }>(`SELECT DISTINCT root_id FROM steps WHERE ${unacked}`),
      counts: db.prepare<[], { type: string; n: number }>(`SELECT type, count(*) AS n FROM steps WHERE state = 'queued' AND ${unacked} GROUP BY type`),
      maxId: db.prepare<[], { id: number | null }>(`SELECT max(id) AS id FROM steps`),
      // By id: a range from the oldest row, so it costs what it deletes. By age: a scan (off the hot path).
      pruneById: db.prepare(`DELETE FROM steps WHERE id <= ? AND acked_at IS NOT NULL`),
      pruneByAge: db.prepare(`DELETE FROM steps WHERE id IN (SELECT id FROM steps WHERE acked_at < ? ORDER BY id LIMIT ?)`),
    };
    for (const r of this.st.roots.all()) this.held.add(r.root_id);
  }

  /** Creates the tables, or brings a file of an older version up to this one. */
  private migrate(): void {
    const db = this.db;
    db.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > VERSION) throw new LocalQueueError(`local queue ${this.path} was written by a newer swarmage (format ${version}; this one knows ${VERSION})`);
    if (version === VERSION) return;
    const hasSteps = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'steps'`).get() !== undefined;
    db.transaction(() => {
      if (hasSteps) {
        // Format 1 (no history, ids could repeat): copy what it holds into the new table.
        db.exec(`ALTER TABLE steps RENAME TO steps_v1; DROP INDEX IF EXISTS steps_root; DROP INDEX IF EXISTS steps_finished;`);
        db.exec(STEPS);
        db.exec(`INSERT INTO steps (${COLUMNS_V1}) SELECT ${COLUMNS_V1} FROM steps_v1; DROP TABLE steps_v1;`);
      } else {
        db.exec(STEPS);
      }
      db.pragma(`user_version = ${VERSION}`);
    })();
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
    const steps = this.db.transaction(() => tasks.map((t) => this.insertStep({
      rootId: t.id, parentId: null, chain: [], type: t.type, dataJson: t.dataJson, postback: t.postback,
      attempt: t.attempt, maxAttempts: t.maxAttempts, createdAt: t.createdAt, queuedAt: now,
    })))();
    for (const t of tasks) this.held.add(t.id);
    return steps;
  }

  /**
   * Records a batch of worker outcomes in one transaction. Returns the steps that hops created, and
   * the chains that ended (for the outbox).
   */
  record(outcomes: Outcome[]): { created: Step[]; finished: Finished[] } {
    const now = Date.now();
    const created: Step[] = [];
    const finished: Finished[] = [];
    this.db.transaction(() => {
      for (const o of outcomes) {
        const s = o.step;
        const startedAt = o.startedAt ?? null;
        if (o.kind === 'hop') {
          this.st.hop.run(startedAt, now, s.id);
          created.push(this.insertStep({ ...s, parentId: s.id, chain: [...s.chain, s.id], type: o.nextType, dataJson: o.nextDataJson, queuedAt: now }));
        } else if (o.kind === 'done') {
          this.st.done.run(o.resultJson, startedAt, now, s.id);
          finished.push({ rootId: s.rootId, stepIds: [...s.chain, s.id], postback: s.postback, state: 'done', resultJson: o.resultJson, error: null, stack: null, retryInMs: 0 });
        } else {
          const retryInMs = Math.round(o.retryInMs);
          this.st.failed.run(o.error, o.stack, retryInMs, startedAt, now, s.id);
          finished.push({ rootId: s.rootId, stepIds: [...s.chain, s.id], postback: s.postback, state: 'failed', resultJson: null, error: o.error, stack: o.stack, retryInMs });
        }
      }
    })();
    return { created, finished };
  }

  private insertStep(s: Omit<Step, 'id'>): Step {
    const info = this.st.insert.run(s.rootId, s.parentId, s.type, s.dataJson, s.postback, s.attempt, s.maxAttempts, s.createdAt, s.queuedAt);
    return { ...s, id: Number(info.lastInsertRowid) };
  }

  /** Steps waiting for a worker (after a restart: also those that were running when it died). */
  queued(): Step[] {
    const chains = this.chains();
    return (this.st.queued.all() as any[]).map((r) => ({
      id: r.id, rootId: r.root_id, parentId: r.parent_id, chain: chains.get(r.id) ?? [], type: r.type, dataJson: r.data, postback: r.postback,
      attempt: r.attempt, maxAttempts: r.max_attempts, createdAt: r.created_at, queuedAt: r.queued_at,
    }));
  }

  /** For every unacknowledged step, the ids of the steps before it in its chain (start-up only). */
  private chains(): Map<number, number[]> {
    const parents = new Map<number, number | null>();
    const rows = this.st.unackedSteps.all() as any[];
    for (const r of rows) parents.set(r.id, r.parent_id);
    const out = new Map<number, number[]>();
    for (const r of rows) {
      const chain: number[] = [];
      for (let p = r.parent_id as number | null; p !== null && p !== undefined && parents.has(p); p = parents.get(p) ?? null) chain.unshift(p);
      out.set(r.id, chain);
    }
    return out;
  }

  /** Chains that ended and whose outcome Postgres has not acknowledged yet: the outbox, after a restart. */
  finished(limit = Number.MAX_SAFE_INTEGER): Finished[] {
    const rows = this.st.unackedSteps.all() as any[];
    const chains = this.chains();
    const out: Finished[] = [];
    for (const r of rows) {
      if (r.state !== 'done' && r.state !== 'failed') continue;
      if (out.length >= limit) break;
      out.push({
        rootId: r.root_id, stepIds: [...(chains.get(r.id) ?? []), r.id], postback: r.postback, state: r.state,
        resultJson: r.result, error: r.error, stack: r.stack, retryInMs: r.retry_ms ?? 0,
      });
    }
    return out;
  }

  /** Turns a finished chain's outcome into a failure (its result could not be stored). */
  refail(rootId: string, error: string, retryInMs: number): void {
    this.st.refail.run(error, Math.round(retryInMs), rootId);
  }

  /**
   * Postgres took these outcomes: the chains become history, and history beyond `keepSteps` goes,
   * in the same transaction (so the file stays the size the retention says at no extra commit).
   */
  ack(finished: Finished[], keepSteps = Number.MAX_SAFE_INTEGER): void {
    const now = Date.now();
    this.db.transaction(() => {
      for (const [from, to] of ranges(finished)) this.st.ack.run(now, from, to);
      if (keepSteps < Number.MAX_SAFE_INTEGER) this.pruneToCount(keepSteps);
    })();
    for (const f of finished) this.held.delete(f.rootId);
  }

  /** Removes whole chains that were not acknowledged (given back, or taken by another drone). */
  forget(rootIds: string[]): void {
    if (rootIds.length === 0) return;
    this.st.forget.run(JSON.stringify(rootIds));
    for (const id of rootIds) this.held.delete(id);
  }

  /** Drops acknowledged steps beyond keepSteps (the oldest ids): cheap, for after every acknowledgement. */
  pruneToCount(keepSteps: number): number {
    const max = this.st.maxId.get()?.id ?? 0;
    return this.st.pruneById.run(max - keepSteps).changes;
  }

  /** Drops acknowledged steps older than keepMs, at most `batch` a call; scans the table, so call it now and then. */
  pruneByAge(keepMs: number, now = Date.now(), batch = 10_000): number {
    return this.st.pruneByAge.run(now - keepMs, batch).changes;
  }

  /** Both limits of the retention; returns how many steps went. */
  prune(retention: Retention, now = Date.now()): number {
    return this.pruneToCount(retention.keepSteps) + this.pruneByAge(retention.keepMs, now);
  }

  /** Global tasks this drone holds in any state. */
  heldRootIds(): string[] {
    return [...this.held];
  }

  queuedCounts(): Map<string, number> {
    return new Map(this.st.counts.all().map((r) => [r.type, r.n]));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The step ids of these chains as runs of consecutive ids: claimed together, they mostly are. */
function ranges(finished: Finished[]): Array<[number, number]> {
  const ids: number[] = [];
  for (const f of finished) for (const id of f.stepIds) ids.push(id);
  ids.sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const id of ids) {
    const last = out[out.length - 1];
    if (last && id === last[1] + 1) last[1] = id;
    else if (!last || id > last[1]) out.push([id, id]);
  }
  return out;
}
