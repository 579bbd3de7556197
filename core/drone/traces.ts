import type { TaskRow, Trace, TraceStep } from '../api/contract.js';
import type { StepHead, StepLog, StepRow } from '../queue/local/types.js';
import { postbackTarget } from './edges.js';

/** When a step a worker holds began running (null: it waits in the worker; undefined: no worker holds it). */
export type RunningLookup = (step: Pick<StepRow, 'id' | 'type'>) => number | null | undefined;

/** "traceId:stepId" as stored on a replayed task, or null. */
export function parseReplayOf(text: string | null): { traceId: string; stepId: number } | null {
  const m = text ? /^([0-9]{1,19}):([0-9]{1,16})$/.exec(text) : null;
  return m ? { traceId: m[1], stepId: Number(m[2]) } : null;
}

function traceStep(s: StepRow, logs: StepLog[], running: RunningLookup): TraceStep {
  const started = s.state === 'queued' ? running(s) : undefined;
  return {
    stepId: s.id,
    parentId: s.parentId,
    type: s.type,
    state: typeof started === 'number' ? 'running' : s.state,
    attempt: s.attempt,
    input: s.dataJson,
    output: s.resultJson,
    error: s.error,
    stack: s.stack,
    queuedAt: s.queuedAt,
    startedAt: typeof started === 'number' ? started : s.startedAt,
    finishedAt: s.finishedAt,
    ackedAt: s.ackedAt,
    logs: logs.filter((l) => l.stepId === s.id).map(({ time, level, msg }) => ({ time, level, msg })),
    resumed: s.resumed,
  };
}

/** A trace from the steps of one global task (every attempt, oldest first). A `local:` hop's output is the next step's input. */
export function buildTrace(
  traceId: string,
  rows: StepRow[],
  logs: StepLog[],
  running: RunningLookup,
  replays: string[],
  schemaProblem: string | null,
): Trace | null {
  if (rows.length === 0) return null;
  const steps = rows.map((r) => traceStep(r, logs, running));
  const byParent = new Map(rows.filter((r) => r.parentId !== null).map((r) => [r.parentId!, r]));
  for (const s of steps) if (s.state === 'hopped') s.output = byParent.get(s.stepId)?.dataJson ?? null;
  const root = rows.find((r) => r.replayOf !== null) ?? rows[0];
  return {
    traceId,
    createdAt: rows[0].createdAt,
    postback: rows[0].postback,
    answers: rows[0].answers,
    steps,
    replayOf: parseReplayOf(root.replayOf),
    replays,
    schemaProblem,
  };
}

/** A row of the task explorer: a chain by its first step, its state that of its last step. */
export function taskRow(root: StepHead, chain: StepHead[], running: RunningLookup): TaskRow {
  const last = chain[chain.length - 1] ?? root;
  const ended = last.state === 'done' || last.state === 'failed';
  const state: TaskRow['state'] = ended ? (last.state as 'done' | 'failed') : typeof running(last) === 'number' ? 'running' : 'queued';
  return {
    traceId: root.rootId,
    stepId: root.id,
    type: root.type,
    lastType: last.type,
    state,
    steps: chain.length,
    createdAt: root.createdAt,
    queuedAt: root.queuedAt,
    finishedAt: ended ? last.finishedAt : null,
    error: last.error,
  };
}

/** Whether a chain crossed an edge of the pipeline graph (ids as in core/drone/edges.ts). */
export function chainOnEdge(edge: string, root: StepHead, chain: StepHead[]): boolean {
  const m = /^(claim|local|postback):(?:([^>]+)>)?(.+)$/.exec(edge)!;
  const [, kind, from, to] = m;
  if (kind === 'claim') return root.type === to;
  if (kind === 'local') {
    const types = new Map(chain.map((s) => [s.id, s.type]));
    return chain.some((s) => s.type === to && s.parentId !== null && types.get(s.parentId) === from);
  }
  const last = chain[chain.length - 1];
  return root.postback !== null && postbackTarget(root.postback) === to && last.state === 'done' && last.type === from;
}

/** Checks an edge id of the task explorer's filter; returns a reason when it is not one. */
export function edgeProblem(edge: string): string | null {
  const m = /^(claim|local|postback):(?:([^>]+)>)?(.+)$/.exec(edge);
  if (!m || (m[1] === 'claim') !== (m[2] === undefined)) {
    return `edge: expected "claim:TYPE", "local:FROM>TO" or "postback:FROM>TO", got ${JSON.stringify(edge.slice(0, 100))}`;
  }
  return null;
}
