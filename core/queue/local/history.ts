/**
 * Reads of the local queue's history for the API (traces, logs, the task explorer, replays): off
 * the hot path, and their cost grows with the history kept, so each is bounded by its arguments.
 */
import type Database from 'better-sqlite3';
import { STEP_HEAD, type Statements } from './statements.js';
import {
  LocalQueueError,
  type DataCondition,
  type StepHead,
  type StepLog,
  type StepRow,
  type StepSearch,
  type StepSearchPage,
  type TraceLimits,
} from './types.js';

/** What a trace keeps of a text once its budget is spent. */
const TRACE_PREVIEW_CHARS = 256;

export function stepById(st: Statements, id: number): StepRow | null {
  const r = st.step.get(id);
  return r ? toStepRow(r) : null;
}

export function trace(st: Statements, rootId: string, limits?: TraceLimits): StepRow[] {
  if (!limits) return st.trace.all(rootId).map(toStepRow);
  let budget = limits.totalChars;
  const take = (text: string | null, len: number | null): string | null => {
    if (text === null || len === null) return null;
    const keep = Math.min(len, limits.fieldChars, Math.max(budget, TRACE_PREVIEW_CHARS));
    budget -= keep;
    return keep < len ? `${text.slice(0, keep)}… (${len - keep} characters cut)` : text;
  };
  const out: StepRow[] = [];
  for (const r of st.traceCut.iterate({ root: rootId, n: limits.fieldChars }) as Iterable<any>) {
    out.push(
      toStepRow({
        ...r,
        data: take(r.data, r.data_len),
        result: take(r.result, r.result_len),
        error: take(r.error, r.error_len),
        stack: take(r.stack, r.stack_len),
      }),
    );
  }
  return out;
}

export function logsOf(st: Statements, stepIds: number[], maxLines: number): StepLog[] {
  if (stepIds.length === 0) return [];
  return (st.logsOf.all(JSON.stringify(stepIds), maxLines) as any[]).map((r) => ({ stepId: r.step_id, time: r.time, level: r.level, msg: r.msg }));
}

export function searchRoots(db: Database.Database, st: Statements, q: StepSearch): StepSearchPage {
  const conds = ['parent_id IS NULL'];
  const params: unknown[] = [];
  const where = (sql: string, value: unknown) => {
    conds.push(sql);
    params.push(value);
  };
  if (q.type !== undefined) where('type = ?', q.type);
  if (q.from !== undefined) where('queued_at >= ?', q.from);
  if (q.to !== undefined) where('queued_at <= ?', q.to);
  if (q.before !== undefined) where('id < ?', q.before);
  // The window: a range of the primary key, so the scan (and json_extract on each row's data)
  // stops there whatever the filters match.
  let floor: number | null = null;
  if (q.scan !== undefined) {
    const top = q.before ?? (st.maxId.get()?.id ?? 0) + 1;
    floor = Math.max(0, top - q.scan);
    where('id >= ?', floor);
  }
  if (q.where) {
    const [sql, values] = dataCondition(q.where);
    conds.push(sql);
    params.push(...values);
  }
  const sql = `SELECT ${STEP_HEAD} FROM steps WHERE ${conds.join(' AND ')} ORDER BY id DESC LIMIT ?`;
  const roots = (db.prepare(sql).all(...params, q.limit) as any[]).map(toStepHead);
  const oldest = st.minId.get()?.id ?? null;
  const more = roots.length < q.limit && floor !== null && oldest !== null && floor > oldest ? floor : null;
  if (roots.length === 0) return { found: [], more };
  const minId = roots[roots.length - 1].id;
  const all = (st.chainsOf.all(minId, JSON.stringify([...new Set(roots.map((r) => r.rootId))])) as any[]).map(toStepHead);
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

export function replaysOf(st: Statements, traceId: string): string[] {
  return st.replaysOf.all(traceId).map((r) => r.task_id);
}

/** The tasks of this drone that carried the result of `traceId` (its postbacks), by their ids. */
export function answeredBy(st: Statements, traceId: string): string[] {
  return st.answeredBy.all(traceId).map((r) => r.root_id);
}

function toStepHead(r: any): StepHead {
  return {
    id: r.id,
    rootId: r.root_id,
    parentId: r.parent_id,
    type: r.type,
    state: r.state,
    error: r.error,
    postback: r.postback,
    attempt: r.attempt,
    createdAt: r.created_at,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    ackedAt: r.acked_at,
    replayOf: r.replay_of,
    resumed: r.resumed === 1,
    answers: r.answers ?? null,
  };
}

/** A step head with the large columns too. */
function toStepRow(r: any): StepRow {
  return { ...toStepHead(r), dataJson: r.data, resultJson: r.result, stack: r.stack };
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
    if (w.op === '=') return ["json_type(data, ?) = 'null'", [w.path]];
    if (w.op === '!=') return ["json_type(data, ?) <> 'null'", [w.path]];
    throw new LocalQueueError(`where: ${w.op} needs a value that is not null`);
  }
  const ops = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;
  return [`json_extract(data, ?) ${ops[w.op]} ?`, [w.path, v]];
}
