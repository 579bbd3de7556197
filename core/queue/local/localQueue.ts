import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import crypto from 'node:crypto';
import type { ClaimedTask } from '../types.js';
import { nativeBindingPath } from './nativeBinding.js';
import { ensurePrivateFile, makePrivate } from '../../util/privateFiles.js';

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
  /** For a `local:` hop: the type of the step it came from (the pipeline edge it crossed). */
  parentType?: string;
}

export type Outcome = { startedAt?: number | null } & (
  | { kind: 'hop'; step: Step; nextType: string; nextDataJson: string }
  | { kind: 'done'; step: Step; resultJson: string }
  | { kind: 'failed'; step: Step; error: string; stack: string | null; retryInMs: number });

/** A chain that ended and waits for Postgres to acknowledge it: one entry of the outbox. */
export interface Finished {
  rootId: string;
  /** The type of the chain's last step, and when it finished (the postback edge of the pipeline graph). */
  type: string;
  finishedAt: number;
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

/** A log line a worker wrote while running a step (kept with the step's history). */
export interface StepLog {
  stepId: number;
  time: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
}

/** A step as the local queue keeps it (live or history): what traces and the task explorer show. */
export interface StepRow {
  id: number;
  rootId: string;
  parentId: number | null;
  type: string;
  dataJson: string;
  state: 'queued' | 'hopped' | 'done' | 'failed';
  resultJson: string | null;
  error: string | null;
  stack: string | null;
  postback: string | null;
  attempt: number;
  createdAt: number;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  ackedAt: number | null;
  /** Set on the first step of a replayed task: "traceId:stepId" of the step it replays. */
  replayOf: string | null;
}

/** A step without its data, result and stack, its error cut to a preview: what the task explorer's rows need. */
export type StepHead = Omit<StepRow, 'dataJson' | 'resultJson' | 'stack'>;

/** How much of a trace's texts one answer carries (see trace()). */
export interface TraceLimits {
  /** Each input, output, error and stack: at most this many characters. */
  fieldChars: number;
  /** All of them together: past this, each keeps only a short preview. */
  totalChars: number;
}

/** What a trace keeps of a text once its budget is spent. */
const TRACE_PREVIEW_CHARS = 256;

/** The task explorer's error preview, in characters (the trace has the whole recorded error). */
const ERROR_PREVIEW_CHARS = 1024;

/** A condition on the JSON data of a task's first step (the task explorer's `where`). */
export interface DataCondition {
  /** An SQLite JSON path such as $.user.id (checked by the API contract's pattern). */
  path: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'exists' | 'contains';
  value?: string | number | boolean | null;
}

/** The task explorer's filters: every one applies to the first step of a chain (its root). */
export interface StepSearch {
  type?: string;
  /** queued_at of the first step, ms since epoch, inclusive. */
  from?: number;
  to?: number;
  where?: DataCondition;
  /** Keyset: only first steps with a smaller id. */
  before?: number;
  /**
   * Examine at most this many step ids below `before` (or below the newest): one call's cost stays
   * bounded however long the history is; `more` then says where to go on.
   */
  scan?: number;
  limit: number;
}

/** A page of searchRoots: the first steps found with their chains, and where an unfinished scan goes on. */
export interface StepSearchPage {
  found: Array<{ root: StepHead; chain: StepHead[] }>;
  /** The scan window ended before the oldest step and found fewer than `limit`: the `before` to go on with; else null. */
  more: number | null;
}

export class LocalQueueError extends Error {
  override name = 'LocalQueueError';
}

/**
 * Version 2: steps stay after their acknowledgement (acked_at) as history, pruned by retention;
 * ids never repeat (AUTOINCREMENT), so history and logs can point at them. No secondary index: the
 * hot path touches rows by id only, and the rest (start-up, give-back, history) scans a bounded table.
 * Version 3: steps.replay_of (the first step of a replayed task names the step it replays), the
 * workers' log lines per step (step_logs, pruned with the steps) and the replays this drone made.
 */
const VERSION = 3;
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
  acked_at     INTEGER,
  replay_of    TEXT
)`;
/** Version 3's new tables. step_logs is only written when workers log, so its index costs the hot path nothing. */
const V3_TABLES = `
CREATE TABLE IF NOT EXISTS step_logs (
  id      INTEGER PRIMARY KEY,
  step_id INTEGER NOT NULL,
  time    INTEGER NOT NULL,
  level   TEXT NOT NULL,
  msg     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS step_logs_step ON step_logs (step_id);
CREATE TABLE IF NOT EXISTS replays (
  task_id    TEXT PRIMARY KEY,
  trace_id   TEXT NOT NULL,
  step_id    INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);`;
const STEP_ROW = `id, root_id, parent_id, type, data, state, result, error, stack, postback, attempt, created_at, queued_at, started_at, finished_at, acked_at, replay_of`;
/** STEP_ROW without the large columns (SQLite then reads no overflow pages of them). */
const STEP_HEAD = `id, root_id, parent_id, type, state, substr(error, 1, ${ERROR_PREVIEW_CHARS}) AS error, postback, attempt, created_at, queued_at, started_at, finished_at, acked_at, replay_of`;
/** STEP_ROW with each large column cut to @n characters, and its length. */
const STEP_ROW_CUT = `id, root_id, parent_id, type, state, postback, attempt, created_at, queued_at, started_at, finished_at, acked_at, replay_of,
  substr(data, 1, @n) AS data, length(data) AS data_len, substr(result, 1, @n) AS result, length(result) AS result_len,
  substr(error, 1, @n) AS error, length(error) AS error_len, substr(stack, 1, @n) AS stack, length(stack) AS stack_len`;
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
      // Task data: the file exists 0600 before SQLite opens it, because SQLite creates -wal and -shm
      // with the database file's mode; those left wider by an older version are tightened.
      ensurePrivateFile(this.path);
      makePrivate(`${this.path}-wal`);
      makePrivate(`${this.path}-shm`);
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
      insert: db.prepare(`INSERT INTO steps (root_id, parent_id, type, data, postback, attempt, max_attempts, created_at, queued_at, replay_of)
                          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      hop: db.prepare(`UPDATE steps SET state = 'hopped', started_at = ?, finished_at = ? WHERE id = ?`),
      done: db.prepare(`UPDATE steps SET state = 'done', result = ?, started_at = ?, finished_at = ? WHERE id = ?`),
      failed: db.prepare(`UPDATE steps SET state = 'failed', error = ?, stack = ?, retry_ms = ?, started_at = ?, finished_at = ? WHERE id = ?`),
      ack: db.prepare(`UPDATE steps SET acked_at = ? WHERE id BETWEEN ? AND ?`),
      queued: db.prepare(`SELECT id, root_id, parent_id, type, data, postback, attempt, max_attempts, created_at, queued_at,
                                 (SELECT p.type FROM steps p WHERE p.id = s.parent_id) AS parent_type
                          FROM steps s WHERE state = 'queued' AND ${unacked} ORDER BY id`),
      unackedSteps: db.prepare(`SELECT id, root_id, parent_id, type, state, postback, result, error, stack, retry_ms, finished_at FROM steps WHERE ${unacked} ORDER BY id`),
      refail: db.prepare(`UPDATE steps SET state = 'failed', result = NULL, error = ?, stack = NULL, retry_ms = ? WHERE root_id = ? AND state IN ('done', 'failed') AND ${unacked}`),
      forget: db.prepare(`DELETE FROM steps WHERE ${unacked} AND root_id IN (SELECT value FROM json_each(?))`),
      roots: db.prepare<[], { root_id: string }>(`SELECT DISTINCT root_id FROM steps WHERE ${unacked}`),
      maxId: db.prepare<[], { id: number | null }>(`SELECT max(id) AS id FROM steps`),
      // By id: a range from the oldest row, so it costs what it deletes. By age: a scan (off the hot path).
      pruneById: db.prepare(`DELETE FROM steps WHERE id <= ? AND acked_at IS NOT NULL`),
      ageCutoff: db.prepare<[number, number], { id: number | null }>(`SELECT max(id) AS id FROM (SELECT id FROM steps WHERE acked_at < ? ORDER BY id LIMIT ?)`),
      pruneByAge: db.prepare(`DELETE FROM steps WHERE id <= ? AND acked_at < ?`),
      // Log lines of steps that are gone, up to an id: a range of the step_logs index.
      pruneLogs: db.prepare(`DELETE FROM step_logs WHERE step_id <= ? AND NOT EXISTS (SELECT 1 FROM steps WHERE steps.id = step_logs.step_id)`),
      pruneReplays: db.prepare(`DELETE FROM replays WHERE created_at < ?`),
      addLog: db.prepare(`INSERT INTO step_logs (step_id, time, level, msg) VALUES (?, ?, ?, ?)`),
      step: db.prepare(`SELECT ${STEP_ROW} FROM steps WHERE id = ?`),
      // A trace: every step of one global task. root_id has no index (the hot path would pay for it); a scan of the bounded table.
      trace: db.prepare(`SELECT ${STEP_ROW} FROM steps WHERE root_id = ? ORDER BY id`),
      traceCut: db.prepare(`SELECT ${STEP_ROW_CUT} FROM steps WHERE root_id = @root ORDER BY id`),
      logsOf: db.prepare(`SELECT step_id, time, level, msg FROM step_logs WHERE step_id IN (SELECT value FROM json_each(?)) ORDER BY step_id, id LIMIT ?`),
      // The chains of some first steps: their ids are at least the smallest of them (a range of the primary key).
      chainsOf: db.prepare(`SELECT ${STEP_HEAD} FROM steps WHERE id >= ? AND root_id IN (SELECT value FROM json_each(?)) ORDER BY id`),
      minId: db.prepare<[], { id: number | null }>(`SELECT min(id) AS id FROM steps`),
      addReplay: db.prepare(`INSERT INTO replays (task_id, trace_id, step_id, created_at) VALUES (?, ?, ?, ?)`),
      replaysOf: db.prepare<[string], { task_id: string }>(`SELECT task_id FROM replays WHERE trace_id = ? ORDER BY created_at, task_id`),
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
      if (hasSteps && version === 2) {
        db.exec(`ALTER TABLE steps ADD COLUMN replay_of TEXT`);
      } else if (hasSteps) {
        // Format 1 (no history, ids could repeat): copy what it holds into the new table.
        db.exec(`ALTER TABLE steps RENAME TO steps_v1; DROP INDEX IF EXISTS steps_root; DROP INDEX IF EXISTS steps_finished;`);
        db.exec(STEPS);
        db.exec(`INSERT INTO steps (${COLUMNS_V1}) SELECT ${COLUMNS_V1} FROM steps_v1; DROP TABLE steps_v1;`);
      } else {
        db.exec(STEPS);
      }
      db.exec(V3_TABLES);
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
    return claimedSteps(tasks, this.insertClaimedFlat(flatClaimed(tasks), now), now);
  }

  /** insertClaimed for a batch in flatClaimed's form (what crosses to the local queue's thread); returns the first step's id. */
  insertClaimedFlat(rows: FlatClaimed, now: number): number {
    const n = rows.length / CLAIMED_WIDTH;
    const run = () => {
      let first = 0;
      let last = 0;
      for (let i = 0; i < rows.length; i += CLAIMED_WIDTH) {
        last = Number(this.st.insert.run(rows[i], null, rows[i + 1], rows[i + 2], rows[i + 3], rows[i + 4], rows[i + 5], rows[i + 6], now, rows[i + 7]).lastInsertRowid);
        if (i === 0) first = last;
      }
      // One writer, AUTOINCREMENT: a batch's ids follow each other, which is what lets the caller number its steps.
      if (n > 0 && last !== first + n - 1) throw new LocalQueueError(`local queue ${this.path}: a batch of ${n} got ids ${first}..${last}`);
      return first;
    };
    // One task (an idle drone's claim): the statement commits on its own, without BEGIN and COMMIT
    // around it, which costs about 80 µs less on a drone woken from idle; that is latency.
    const first = n === 1 ? run() : this.db.transaction(run)();
    for (let i = 0; i < rows.length; i += CLAIMED_WIDTH) this.held.add(rows[i] as string);
    return first;
  }

  /** Records plain completions (stepId, resultJson, startedAt, …) in one transaction: the common case, in a compact form. */
  recordDoneFlat(rows: Array<number | string | null>, now: number): void {
    this.db.transaction(() => {
      for (let i = 0; i < rows.length; i += 3) this.st.done.run(rows[i + 1], rows[i + 2], now, rows[i]);
    })();
  }

  /**
   * Records a batch of worker outcomes in one transaction. Returns the steps that hops created, and
   * the chains that ended (for the outbox).
   */
  record(outcomes: Outcome[], logs: StepLog[] = []): { created: Step[]; finished: Finished[] } {
    const now = Date.now();
    const created: Step[] = [];
    const finished: Finished[] = [];
    this.db.transaction(() => {
      for (const l of logs) this.st.addLog.run(l.stepId, l.time, l.level, l.msg);
      for (const o of outcomes) {
        const s = o.step;
        const startedAt = o.startedAt ?? null;
        if (o.kind === 'hop') {
          this.st.hop.run(startedAt, now, s.id);
          created.push(this.insertStep({ ...s, parentId: s.id, chain: [...s.chain, s.id], type: o.nextType, dataJson: o.nextDataJson, queuedAt: now, parentType: s.type }));
        } else if (o.kind === 'done') {
          this.st.done.run(o.resultJson, startedAt, now, s.id);
          finished.push(doneEntry(s, o.resultJson, now));
        } else {
          const retryInMs = Math.round(o.retryInMs);
          this.st.failed.run(o.error, o.stack, retryInMs, startedAt, now, s.id);
          finished.push({ rootId: s.rootId, type: s.type, finishedAt: now, stepIds: [...s.chain, s.id], postback: s.postback, state: 'failed', resultJson: null, error: o.error, stack: o.stack, retryInMs });
        }
      }
    })();
    return { created, finished };
  }

  private insertStep(s: Omit<Step, 'id'>, replayOf: string | null = null): Step {
    const info = this.st.insert.run(s.rootId, s.parentId, s.type, s.dataJson, s.postback, s.attempt, s.maxAttempts, s.createdAt, s.queuedAt, replayOf);
    return { ...s, id: Number(info.lastInsertRowid) };
  }

  /** Steps waiting for a worker (after a restart: also those that were running when it died). */
  queued(): Step[] {
    const chains = this.chains(this.st.unackedSteps.all() as any[]);
    return (this.st.queued.all() as any[]).map((r) => ({
      id: r.id, rootId: r.root_id, parentId: r.parent_id, chain: chains.get(r.id) ?? [], type: r.type, dataJson: r.data, postback: r.postback,
      attempt: r.attempt, maxAttempts: r.max_attempts, createdAt: r.created_at, queuedAt: r.queued_at,
      ...(r.parent_type ? { parentType: r.parent_type } : {}),
    }));
  }

  /** For every unacknowledged step, the ids of the steps before it in its chain (start-up only). */
  private chains(rows: any[]): Map<number, number[]> {
    const parents = new Map<number, number | null>();
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
    const chains = this.chains(rows);
    const out: Finished[] = [];
    for (const r of rows) {
      if (r.state !== 'done' && r.state !== 'failed') continue;
      if (out.length >= limit) break;
      out.push({
        rootId: r.root_id, type: r.type, finishedAt: r.finished_at ?? Date.now(), stepIds: [...(chains.get(r.id) ?? []), r.id], postback: r.postback, state: r.state,
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
    this.ackFlat(flatRanges(finished), finished.map((f) => f.rootId), keepSteps, Date.now());
  }

  /** ack with the steps as id ranges [from, to, from, to, …] and the chains' root ids. */
  ackFlat(ranges: number[], rootIds: string[], keepSteps: number, now: number): void {
    this.db.transaction(() => {
      for (let i = 0; i < ranges.length; i += 2) this.st.ack.run(now, ranges[i], ranges[i + 1]);
      if (keepSteps < Number.MAX_SAFE_INTEGER) this.pruneToCount(keepSteps);
    })();
    for (const id of rootIds) this.held.delete(id);
  }

  /** Removes whole chains that were not acknowledged (given back, or taken by another drone). */
  forget(rootIds: string[]): void {
    if (rootIds.length === 0) return;
    this.st.forget.run(JSON.stringify(rootIds));
    for (const id of rootIds) this.held.delete(id);
  }

  /** Drops acknowledged steps beyond keepSteps (the oldest ids): cheap, for after every acknowledgement. */
  pruneToCount(keepSteps: number): number {
    const upTo = (this.st.maxId.get()?.id ?? 0) - keepSteps;
    const n = this.st.pruneById.run(upTo).changes;
    if (n > 0) this.st.pruneLogs.run(upTo);
    return n;
  }

  /** Drops acknowledged steps older than keepMs, at most `batch` a call; scans the table, so call it now and then. */
  pruneByAge(keepMs: number, now = Date.now(), batch = 10_000): number {
    const upTo = this.st.ageCutoff.get(now - keepMs, batch)?.id;
    if (upTo === null || upTo === undefined) return 0;
    const n = this.st.pruneByAge.run(upTo, now - keepMs).changes;
    this.st.pruneLogs.run(upTo);
    this.st.pruneReplays.run(now - keepMs);
    return n;
  }

  /** Both limits of the retention; returns how many steps went. */
  prune(retention: Retention, now = Date.now()): number {
    return this.pruneToCount(retention.keepSteps) + this.pruneByAge(retention.keepMs, now);
  }

  /** One step, live or history; null when it is not (or no longer) kept. */
  step(id: number): StepRow | null {
    const r = this.st.step.get(id);
    return r ? toStepRow(r) : null;
  }

  /**
   * Every step of one global task kept here (every attempt), oldest first. With `limits`, the
   * texts are cut (inputs and outputs of up to 1 MiB each, over many attempts and hops, would add
   * up to an answer of any size), each with a marker saying how much; without, whole.
   */
  trace(rootId: string, limits?: TraceLimits): StepRow[] {
    if (!limits) return this.st.trace.all(rootId).map(toStepRow);
    let budget = limits.totalChars;
    const take = (text: string | null, len: number | null): string | null => {
      if (text === null || len === null) return null;
      const keep = Math.min(len, limits.fieldChars, Math.max(budget, TRACE_PREVIEW_CHARS));
      budget -= keep;
      return keep < len ? `${text.slice(0, keep)}… (${len - keep} characters cut)` : text;
    };
    const out: StepRow[] = [];
    for (const r of this.st.traceCut.iterate({ root: rootId, n: limits.fieldChars }) as Iterable<any>) {
      out.push(toStepRow({ ...r, data: take(r.data, r.data_len), result: take(r.result, r.result_len), error: take(r.error, r.error_len), stack: take(r.stack, r.stack_len) }));
    }
    return out;
  }

  /** The log lines kept for these steps, by step, in the order written; at most `maxLines`. */
  logsOf(stepIds: number[], maxLines = Number.MAX_SAFE_INTEGER): StepLog[] {
    if (stepIds.length === 0) return [];
    return (this.st.logsOf.all(JSON.stringify(stepIds), maxLines) as any[]).map((r) => ({ stepId: r.step_id, time: r.time, level: r.level, msg: r.msg }));
  }

  /**
   * First steps of chains (claimed tasks) matching the filters, newest first, with every step of
   * their chains (the attempt of that first step), for the task explorer. Scans newest first; the
   * JSON condition runs in SQLite (json_extract with the path as a parameter).
   */
  searchRoots(q: StepSearch): StepSearchPage {
    const conds = ['parent_id IS NULL'];
    const params: unknown[] = [];
    if (q.type !== undefined) conds.push('type = ?'), params.push(q.type);
    if (q.from !== undefined) conds.push('queued_at >= ?'), params.push(q.from);
    if (q.to !== undefined) conds.push('queued_at <= ?'), params.push(q.to);
    if (q.before !== undefined) conds.push('id < ?'), params.push(q.before);
    // The window: a range of the primary key, so the scan (and json_extract on each row's data)
    // stops there whatever the filters match.
    let floor: number | null = null;
    if (q.scan !== undefined) {
      const top = q.before ?? (this.st.maxId.get()?.id ?? 0) + 1;
      floor = Math.max(0, top - q.scan);
      conds.push('id >= ?'), params.push(floor);
    }
    if (q.where) {
      const [sql, values] = dataCondition(q.where);
      conds.push(sql);
      params.push(...values);
    }
    const sql = `SELECT ${STEP_HEAD} FROM steps WHERE ${conds.join(' AND ')} ORDER BY id DESC LIMIT ?`;
    const roots = (this.db.prepare(sql).all(...params, q.limit) as any[]).map(toStepHead);
    const oldest = this.st.minId.get()?.id ?? null;
    const more = roots.length < q.limit && floor !== null && oldest !== null && floor > oldest ? floor : null;
    if (roots.length === 0) return { found: [], more };
    const minId = roots[roots.length - 1].id;
    const all = (this.st.chainsOf.all(minId, JSON.stringify([...new Set(roots.map((r) => r.rootId))])) as any[]).map(toStepHead);
    // A chain: the steps after its first one that descend from it (a retry is a chain of its own).
    const chainOf = new Map<number, StepHead[]>();
    const owner = new Map<number, number>();
    for (const r of roots) owner.set(r.id, r.id);
    for (const s of all) {
      const head = s.parentId === null ? owner.get(s.id) : owner.get(s.parentId);
      if (head === undefined) continue;
      owner.set(s.id, head);
      let list = chainOf.get(head);
      if (!list) chainOf.set(head, (list = []));
      list.push(s);
    }
    return { found: roots.map((root) => ({ root, chain: chainOf.get(root.id) ?? [root] })), more };
  }

  /** Notes a replay this drone enqueued: the new task, and the step (of which trace) it replays. */
  addReplay(taskId: string, traceId: string, stepId: number, now = Date.now()): void {
    this.st.addReplay.run(taskId, traceId, stepId, now);
  }

  /** Tasks enqueued by this drone as replays of steps of this trace. */
  replaysOf(traceId: string): string[] {
    return this.st.replaysOf.all(traceId).map((r) => r.task_id);
  }

  /** Global tasks this drone holds in any state. */
  heldRootIds(): string[] {
    return [...this.held];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toStepHead(r: any): StepHead {
  return {
    id: r.id, rootId: r.root_id, parentId: r.parent_id, type: r.type, state: r.state, error: r.error, postback: r.postback, attempt: r.attempt,
    createdAt: r.created_at, queuedAt: r.queued_at, startedAt: r.started_at, finishedAt: r.finished_at, ackedAt: r.acked_at, replayOf: r.replay_of,
  };
}

function toStepRow(r: any): StepRow {
  return {
    id: r.id, rootId: r.root_id, parentId: r.parent_id, type: r.type, dataJson: r.data, state: r.state, resultJson: r.result,
    error: r.error, stack: r.stack, postback: r.postback, attempt: r.attempt, createdAt: r.created_at, queuedAt: r.queued_at,
    startedAt: r.started_at, finishedAt: r.finished_at, ackedAt: r.acked_at, replayOf: r.replay_of,
  };
}

/**
 * The SQL of a condition on a first step's data, from a fixed set of fragments: the path and the
 * value are parameters. JSON true/false come out of json_extract as 1/0, null as SQL NULL.
 */
function dataCondition(w: DataCondition): [string, unknown[]] {
  if (w.op === 'exists') return ['json_type(data, ?) IS NOT NULL', [w.path]];
  const v = w.value === undefined ? null : typeof w.value === 'boolean' ? (w.value ? 1 : 0) : w.value;
  if (w.op === 'contains') {
    if (v === null) throw new LocalQueueError('where: "contains" needs a value');
    return ['instr(json_extract(data, ?), ?) > 0', [w.path, String(v)]];
  }
  if (v === null) {
    if (w.op === '=') return ['json_type(data, ?) = \'null\'', [w.path]];
    if (w.op === '!=') return ['json_type(data, ?) <> \'null\'', [w.path]];
    throw new LocalQueueError(`where: ${w.op} needs a value that is not null`);
  }
  const ops = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;
  return [`json_extract(data, ?) ${ops[w.op]} ?`, [w.path, v]];
}

/** The step ids of these chains as runs of consecutive ids, flat: [from, to, from, to, …] (claimed together, they mostly are). */
export function flatRanges(finished: Finished[]): number[] {
  const ids: number[] = [];
  for (const f of finished) for (const id of f.stepIds) ids.push(id);
  ids.sort((a, b) => a - b);
  const out: number[] = [];
  for (const id of ids) {
    const n = out.length;
    if (n > 0 && id === out[n - 1] + 1) out[n - 1] = id;
    else if (n === 0 || id > out[n - 1]) out.push(id, id);
  }
  return out;
}

/** A claimed batch flattened, CLAIMED_WIDTH values per task: cheap to hand to the local queue's thread. */
export type FlatClaimed = Array<string | number | null>;
const CLAIMED_WIDTH = 8;

export function flatClaimed(tasks: ClaimedTask[]): FlatClaimed {
  const rows: FlatClaimed = [];
  for (const t of tasks) rows.push(t.id, t.type, t.dataJson, t.postback, t.attempt, t.maxAttempts, t.createdAt, t.replayOf ?? null);
  return rows;
}

/** The steps a claimed batch became, given the first one's id (a batch's ids follow each other). */
export function claimedSteps(tasks: ClaimedTask[], firstId: number, now: number): Step[] {
  return tasks.map((t, i) => ({
    id: firstId + i, rootId: t.id, parentId: null, chain: [], type: t.type, dataJson: t.dataJson, postback: t.postback,
    attempt: t.attempt, maxAttempts: t.maxAttempts, createdAt: t.createdAt, queuedAt: now,
  }));
}

/** The outbox entry of a chain that ended with this step done. */
export function doneEntry(s: Step, resultJson: string, now: number): Finished {
  return { rootId: s.rootId, type: s.type, finishedAt: now, stepIds: [...s.chain, s.id], postback: s.postback, state: 'done', resultJson, error: null, stack: null, retryInMs: 0 };
}
