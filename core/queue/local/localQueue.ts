import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import crypto from 'node:crypto';
import type { ClaimedTask } from '../types.js';
import { nativeBindingPath } from './nativeBinding.js';
import { ensurePrivateFile, makePrivate } from '../../util/privateFiles.js';
import { migrate } from './migrate.js';
import { prepareStatements, type Statements } from './statements.js';
import * as history from './history.js';
import { CLAIMED_WIDTH, DONE_WIDTH, claimedSteps, doneEntry, flatClaimed, flatRanges, type FlatClaimed, type FlatDone } from './wire.js';
import {
  LocalQueueError,
  type Finished,
  type Outcome,
  type Retention,
  type Step,
  type StepLog,
  type StepRow,
  type StepSearch,
  type StepSearchPage,
  type TraceLimits,
} from './types.js';

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
  private readonly st: Statements;
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
      migrate(this.db, this.path);
      this.st = prepareStatements(this.db);
      // Writing takes the exclusive lock now rather than at the first task.
      this.st.setMeta.run('pid', String(process.pid));
    } catch (err) {
      this.db.close();
      const e = err as Error & { code?: string };
      if (e.code === 'SQLITE_BUSY') {
        throw new LocalQueueError(`local queue ${this.path} is in use by another drone; give each drone its own localQueue.path`);
      }
      throw new LocalQueueError(`local queue ${this.path}: ${whyUnwritable(this.path) ?? e.message}`);
    }
    for (const r of this.st.roots.all()) this.held.add(r.root_id);
  }

  /** This drone's id: made once (hostname-pid-random) and kept in the file. */
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
        last = Number(
          this.st.insert.run(
            rows[i],
            null,
            rows[i + 1],
            rows[i + 2],
            rows[i + 3],
            rows[i + 4],
            rows[i + 5],
            rows[i + 6],
            now,
            rows[i + 7],
            rows[i + 8],
            rows[i + 9],
          ).lastInsertRowid,
        );
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

  /** Records plain completions in flatDone's form in one transaction: the common case, in a compact form. */
  recordDoneFlat(rows: FlatDone, now: number): void {
    this.db.transaction(() => {
      for (let i = 0; i < rows.length; i += DONE_WIDTH) this.st.done.run(rows[i + 1], rows[i + 2], now, rows[i]);
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
          created.push(
            this.insertStep({ ...s, parentId: s.id, chain: [...s.chain, s.id], type: o.nextType, dataJson: o.nextDataJson, queuedAt: now, parentType: s.type }),
          );
        } else if (o.kind === 'done') {
          this.st.done.run(o.resultJson, startedAt, now, s.id);
          finished.push(doneEntry(s, o.resultJson, now));
        } else {
          const retryInMs = Math.round(o.retryInMs);
          const final = o.final === true;
          this.st.failed.run(o.error, o.stack, retryInMs, final ? 1 : null, startedAt, now, s.id);
          // A hop that failed: the chain's next attempt starts at it (its first step has no such point of its own).
          const hop = s.parentId !== null;
          finished.push({
            rootId: s.rootId,
            type: s.type,
            finishedAt: now,
            stepIds: [...s.chain, s.id],
            postback: s.postback,
            state: 'failed',
            resultJson: null,
            error: o.error,
            stack: o.stack,
            retryInMs,
            final,
            resumeType: hop ? s.type : null,
            resumeDataJson: hop ? s.dataJson : null,
          });
        }
      }
    })();
    return { created, finished };
  }

  private insertStep(s: Omit<Step, 'id'>, replayOf: string | null = null): Step {
    const info = this.st.insert.run(
      s.rootId,
      s.parentId,
      s.type,
      s.dataJson,
      s.postback,
      s.attempt,
      s.maxAttempts,
      s.createdAt,
      s.queuedAt,
      replayOf,
      null,
      null,
    );
    return { ...s, id: Number(info.lastInsertRowid) };
  }

  /** Steps waiting for a worker (after a restart: also those that were running when it died). */
  queued(): Step[] {
    const chains = this.chains(this.st.unackedSteps.all() as any[]);
    return (this.st.queued.all() as any[]).map((r) => ({
      id: r.id,
      rootId: r.root_id,
      parentId: r.parent_id,
      chain: chains.get(r.id) ?? [],
      type: r.type,
      dataJson: r.data,
      postback: r.postback,
      attempt: r.attempt,
      maxAttempts: r.max_attempts,
      createdAt: r.created_at,
      queuedAt: r.queued_at,
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
        rootId: r.root_id,
        type: r.type,
        finishedAt: r.finished_at ?? Date.now(),
        stepIds: [...(chains.get(r.id) ?? []), r.id],
        postback: r.postback,
        state: r.state,
        resultJson: r.result,
        error: r.error,
        stack: r.stack,
        retryInMs: r.retry_ms ?? 0,
        final: r.final === 1,
        resumeType: r.resume_data === null ? null : r.type,
        resumeDataJson: r.resume_data,
      });
    }
    return out;
  }

  /** Turns a finished chain's outcome into a failure (its result could not be stored); final: not to be retried. */
  refail(rootId: string, error: string, retryInMs: number, final = false): void {
    this.st.refail.run(error, Math.round(retryInMs), final ? 1 : null, rootId);
  }

  /**
   * Postgres took these outcomes: the chains become history, and history beyond `keepSteps` goes,
   * in the same transaction (so the file stays the size the retention says at no extra commit).
   */
  ack(finished: Finished[], keepSteps = Number.MAX_SAFE_INTEGER): void {
    this.ackFlat(
      flatRanges(finished),
      finished.map((f) => f.rootId),
      keepSteps,
      Date.now(),
    );
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
    return history.stepById(this.st, id);
  }

  /**
   * Every step of one global task kept here (every attempt), oldest first. With `limits`, the
   * texts are cut (inputs and outputs of up to 1 MiB each, over many attempts and hops, would add
   * up to an answer of any size), each with a marker saying how much; without, whole.
   */
  trace(rootId: string, limits?: TraceLimits): StepRow[] {
    return history.trace(this.st, rootId, limits);
  }

  /** The log lines kept for these steps, by step, in the order written; at most `maxLines`. */
  logsOf(stepIds: number[], maxLines = Number.MAX_SAFE_INTEGER): StepLog[] {
    return history.logsOf(this.st, stepIds, maxLines);
  }

  /**
   * First steps of chains (claimed tasks) matching the filters, newest first, with every step of
   * their chains (the attempt of that first step), for the task explorer. Scans newest first; the
   * JSON condition runs in SQLite (json_extract with the path as a parameter).
   */
  searchRoots(q: StepSearch): StepSearchPage {
    return history.searchRoots(this.db, this.st, q);
  }

  /** Notes a replay this drone enqueued: the new task, and the step (of which trace) it replays. */
  addReplay(taskId: string, traceId: string, stepId: number, now = Date.now()): void {
    this.st.addReplay.run(taskId, traceId, stepId, now);
  }

  /** Tasks enqueued by this drone as replays of steps of this trace. */
  answeredBy(traceId: string): string[] {
    return history.answeredBy(this.st, traceId);
  }

  replaysOf(traceId: string): string[] {
    return history.replaysOf(this.st, traceId);
  }

  /** Global tasks this drone holds in any state. */
  heldRootIds(): string[] {
    return [...this.held];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
