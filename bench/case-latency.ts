/**
 * Case 2, latency on an idle system: jobs enqueued one at a time, 20 ms apart (ours through
 * `SELECT swarmage.enqueue(...)`, graphile-worker through `SELECT graphile_worker.add_job(...)`,
 * pg-boss through boss.send), each timed from right after its statement returned (the commit) to
 * the moment the worker's handler was called — on the same clock (performance.timeOrigin +
 * performance.now()) in this process and in our worker processes.
 */
import { now, progress, settleTables, sleep } from './env.js';
import { CaseRecorder, Databases, selected, type CaseOptions } from './harness.js';
import type { CaseResult } from './results.js';
import { percentiles, summarize, type Percentiles } from './stats.js';
import { fmt, fmtSummary } from './table.js';

export const LATENCY_SYSTEMS = [
  'swarmage-defaults-1w',
  'swarmage-asyncclaims-1w',
  'swarmage-tuned-4w',
  'swarmage-baseline-defaults-1w',
  // Present when PgBouncer is installed (bench/run.ts).
  'swarmage-defaults-pgbouncer-listen-direct-1w',
  'swarmage-defaults-pgbouncer-poll-1w',
  'swarmage-defaults-gateway-1w',
  'graphile-worker-defaults',
  'graphile-worker-tuned',
  'pg-boss-defaults',
  'pg-boss-tuned',
];

export const LATENCY_INTERVAL_MS = 20;
/** How long to wait, after the last enqueue, for jobs not handled yet. */
const GRACE_MS = 5000;

export async function latencyCase(opts: CaseOptions): Promise<CaseResult> {
  const count = opts.sizes.latency[0];
  const systems = selected(opts, LATENCY_SYSTEMS);
  const rec = new CaseRecorder(
    2,
    'latency',
    `Idle latency: ${count} jobs one at a time, ${LATENCY_INTERVAL_MS} ms apart; enqueue commit → handler called`,
    {
      rounds: opts.rounds,
      count,
      intervalMs: LATENCY_INTERVAL_MS,
      graceMs: GRACE_MS,
      method:
        'start the consumer on an empty queue, wait until it is up plus 500 ms; then enqueue job i at t = i × 20 ms with one ' +
        'statement and note the time right after it returned; the handler notes when it was called. Percentiles by linear interpolation.',
    },
    systems,
  );
  const dbs = new Databases(opts.env, 'latency');
  const perRound = new Map<string, Percentiles[]>();
  const pooled = new Map<string, number[]>();
  const missing = new Map<string, number>();
  try {
    for (let r = 1; r <= opts.rounds; r++) {
      for (const spec of systems) {
        const where = `case 2 latency · round ${r}/${opts.rounds} · ${spec.label}`;
        try {
          const q = await dbs.get(spec, count);
          await q.reset();
          await settleTables(q.url, q.tables);
          const running = await q.start({ dir: opts.env.scratch(spec.id), mode: 'latency' });
          const enq = new Map<number, number>();
          let lat: number[] = [];
          let complaints: string[] = [];
          try {
            await running.ready;
            await sleep(500);
            progress(`${where}: enqueueing ${count} one by one…`);
            const base = now();
            for (let i = 0; i < count; i++) {
              const wait = base + i * LATENCY_INTERVAL_MS - now();
              if (wait > 0) await sleep(wait);
              enq.set(i, await q.enqueueOne(i));
            }
            const deadline = now() + GRACE_MS;
            while (running.seen().size < count && now() < deadline) {
              const problem = running.problem?.();
              if (problem) throw new Error(problem);
              await sleep(20);
            }
            const seen = running.seen();
            lat = [...enq].filter(([i]) => seen.has(i)).map(([i, t]) => seen.get(i)! - t);
            complaints = running.complaints?.() ?? [];
          } finally {
            await running.stop();
          }
          const p = percentiles(lat);
          const lost = count - lat.length;
          if (!perRound.has(spec.id)) perRound.set(spec.id, []);
          perRound.get(spec.id)!.push(p);
          pooled.set(spec.id, [...(pooled.get(spec.id) ?? []), ...lat]);
          missing.set(spec.id, (missing.get(spec.id) ?? 0) + lost);
          rec.sample({ round: r, system: spec.id, ...p, notHandledWithinGrace: lost, ...(complaints.length ? { droneWarnings: complaints } : {}) });
          progress(
            `${where}: p50 ${fmt(p.p50)} ms, p90 ${fmt(p.p90)} ms, p99 ${fmt(p.p99)} ms${lost ? `; ${lost} not handled within ${GRACE_MS / 1000} s of the last enqueue` : ''}`,
          );
        } catch (err) {
          rec.error(where, err);
        }
      }
    }
  } finally {
    await dbs.closeAll();
  }

  const rows: string[][] = [];
  for (const spec of systems) {
    const ps = perRound.get(spec.id) ?? [];
    const s50 = summarize(ps.map((p) => p.p50));
    const s90 = summarize(ps.map((p) => p.p90));
    const s99 = summarize(ps.map((p) => p.p99));
    const all = percentiles(pooled.get(spec.id) ?? []);
    const lost = missing.get(spec.id) ?? 0;
    rec.result.summary.push({ system: spec.id, p50: s50, p90: s90, p99: s99, pooled: all, notHandledWithinGrace: lost });
    rows.push([
      spec.label,
      fmtSummary(s50),
      fmtSummary(s90),
      fmtSummary(s99),
      `${fmt(all.p50)} / ${fmt(all.p90)} / ${fmt(all.p99)} / ${fmt(all.max)}`,
      lost ? `${lost} of ${count * ps.length} not handled within ${GRACE_MS / 1000} s` : '',
    ]);
  }
  rec.table({
    title: `Case 2 — idle latency, ms: per-round percentiles, median (min–max) of ${opts.rounds} rounds; and all rounds pooled`,
    columns: ['system', 'p50', 'p90', 'p99', 'pooled p50 / p90 / p99 / max', 'note'],
    rows,
  });
  return rec.finish();
}
