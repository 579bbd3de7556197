/**
 * The flat forms the hot path hands to the local queue's thread: arrays of strings and numbers, as
 * structured clone copies them cheaply. Copying objects between threads cost as much as the SQLite
 * work the thread takes off the drone's, so objects are built again on the side that needs them.
 */
import type { ClaimedTask } from '../types.js';
import type { Finished, Outcome, Step } from './types.js';

/** A claimed batch flattened, CLAIMED_WIDTH values per task. */
export type FlatClaimed = Array<string | number | null>;
export const CLAIMED_WIDTH = 10;

/** A retried chain starts at the step where it failed, with that step's input; any other task at its own type. */
const resumed = (t: ClaimedTask) => t.resumeType != null;
const firstType = (t: ClaimedTask) => t.resumeType ?? t.type;
const firstData = (t: ClaimedTask) => (t.resumeType != null ? (t.resumeDataJson ?? 'null') : t.dataJson);

export function flatClaimed(tasks: ClaimedTask[]): FlatClaimed {
  const rows: FlatClaimed = [];
  for (const t of tasks)
    rows.push(
      t.id,
      firstType(t),
      firstData(t),
      t.postback,
      t.attempt,
      t.maxAttempts,
      t.createdAt,
      t.replayOf ?? null,
      resumed(t) ? 1 : null,
      t.answers ?? null,
    );
  return rows;
}

/** The steps a claimed batch became, given the first one's id (a batch's ids follow each other). */
export function claimedSteps(tasks: ClaimedTask[], firstId: number, now: number): Step[] {
  return tasks.map((t, i) => ({
    id: firstId + i,
    rootId: t.id,
    parentId: null,
    chain: [],
    type: firstType(t),
    dataJson: firstData(t),
    postback: t.postback,
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    createdAt: t.createdAt,
    queuedAt: now,
  }));
}

/** Plain completions flattened, DONE_WIDTH values each: stepId, resultJson, startedAt. */
export type FlatDone = Array<number | string | null>;
export const DONE_WIDTH = 3;

/** The flat form of a batch of outcomes, or null when one is not a plain completion (the general record() takes those). */
export function flatDone(outcomes: Outcome[]): FlatDone | null {
  for (const o of outcomes) if (o.kind !== 'done') return null;
  const rows: FlatDone = [];
  for (const o of outcomes) rows.push(o.step.id, (o as { resultJson: string }).resultJson, o.startedAt ?? null);
  return rows;
}

/** The outbox entry of a chain that ended with this step done. */
export function doneEntry(s: Step, resultJson: string, now: number): Finished {
  return {
    rootId: s.rootId,
    type: s.type,
    finishedAt: now,
    stepIds: [...s.chain, s.id],
    postback: s.postback,
    state: 'done',
    resultJson,
    error: null,
    stack: null,
    retryInMs: 0,
    final: false,
    resumeType: null,
    resumeDataJson: null,
  };
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
