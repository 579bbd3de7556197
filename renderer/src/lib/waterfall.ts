/**
 * A trace as a waterfall: per step, the time spent waiting (on the global queue, in the local
 * buffer) apart from the time spent running, on one time axis from the task's creation.
 */
import type { Trace, TraceStep } from '../../../core/api/contract.js';

/** unsplit: a finished step whose start was not recorded, so its wait and its run are one bar. */
export type SegmentKind = 'global' | 'buffer' | 'running' | 'unsplit';

export interface Segment {
  kind: SegmentKind;
  start: number;
  end: number;
  /** Still going (no end yet): the bar runs to "now". */
  open: boolean;
}

export interface WaterfallRow {
  step: TraceStep;
  segments: Segment[];
}

export interface Waterfall {
  start: number;
  end: number;
  rows: WaterfallRow[];
  /** Tick marks for the axis: ms from `start`. */
  ticks: number[];
}

export function stepSegments(step: TraceStep, index: number, createdAt: number, now: number): Segment[] {
  const segs: Segment[] = [];
  if (index === 0 && createdAt < step.queuedAt) segs.push({ kind: 'global', start: createdAt, end: step.queuedAt, open: false });
  const ended = step.finishedAt ?? (step.state === 'done' || step.state === 'failed' || step.state === 'hopped' ? (step.ackedAt ?? step.queuedAt) : null);
  if (step.startedAt === null) {
    segs.push({ kind: ended === null ? 'buffer' : 'unsplit', start: step.queuedAt, end: ended ?? now, open: ended === null });
    return segs;
  }
  segs.push({ kind: 'buffer', start: step.queuedAt, end: Math.max(step.queuedAt, step.startedAt), open: false });
  segs.push({ kind: 'running', start: step.startedAt, end: ended ?? now, open: ended === null });
  return segs;
}

export function buildWaterfall(trace: Trace, now: number): Waterfall {
  const rows = trace.steps.map((step, i) => ({ step, segments: stepSegments(step, i, trace.createdAt, now) }));
  const start = Math.min(trace.createdAt, ...trace.steps.map((s) => s.queuedAt));
  const end = Math.max(start + 1, ...rows.flatMap((r) => r.segments.map((s) => s.end)));
  return { start, end, rows, ticks: niceTicks(end - start) };
}

/** Where a time falls on the axis, 0..100 (%). */
export function percentAt(w: Pick<Waterfall, 'start' | 'end'>, time: number): number {
  const span = w.end - w.start;
  return span > 0 ? Math.min(100, Math.max(0, ((time - w.start) / span) * 100)) : 0;
}

const STEPS = [1, 2, 5];

/** About five round tick values from 0 to span (ms). */
export function niceTicks(span: number, want = 5): number[] {
  if (!(span > 0)) return [0];
  const raw = span / want;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = mag * (STEPS.find((s) => s * mag >= raw) ?? 10);
  const ticks: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) ticks.push(Math.round(t * 1000) / 1000);
  return ticks;
}

export function segmentLabel(kind: SegmentKind): string {
  if (kind === 'unsplit') return 'waiting and running (the start was not recorded)';
  return kind === 'global' ? 'waiting on the global queue' : kind === 'buffer' ? 'waiting in the local buffer' : 'running';
}

/** Is anything in this trace still moving (worth polling again)? */
export function traceOpen(trace: Trace): boolean {
  return trace.steps.some((s) => s.state === 'queued' || s.state === 'running');
}
