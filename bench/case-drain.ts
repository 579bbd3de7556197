/**
 * Case 1, drain throughput: N no-op jobs queued while nothing consumes them; then the consumer
 * starts, and jobs/s is N ÷ (first job handled → queue empty). Ours with 1 and 4 worker instances,
 * at its defaults and tuned; the peers at their defaults and tuned; the raw-SQL ceiling.
 */
import { now, progress } from './env.js';
import { CaseRecorder, Databases, Series, drain, selected, type CaseOptions } from './harness.js';
import type { CaseResult } from './results.js';
import { roundRatios, summarize } from './stats.js';
import { fmt, fmtRatio, fmtSummary } from './table.js';

export const DRAIN_SYSTEMS = [
  'swarmage-defaults-1w',
  'swarmage-defaults-4w',
  'swarmage-tuned-1w',
  'swarmage-tuned-4w',
  'swarmage-batched-1w',
  'swarmage-batched-4w',
  'swarmage-baseline-1w',
  'swarmage-baseline-defaults-1w',
  // Present when PgBouncer is installed (bench/run.ts).
  'swarmage-tuned-pgbouncer-listen-direct-1w',
  // Without database access, through swarmage gateway.
  'swarmage-defaults-gateway-1w',
  'swarmage-defaults-gateway-4w',
  'graphile-worker-defaults',
  'graphile-worker-tuned',
  'graphile-worker-c50',
  'pg-boss-defaults',
  'pg-boss-tuned',
  'raw-sql',
];

/**
 * Above this size the peers run only tuned (and the ceiling): at their defaults they do a few
 * hundred to a few thousand jobs a second here, so a big drain would take many minutes per sample
 * and say nothing the smaller one does not (their samples are cut at their capSeconds anyway). Our
 * drone runs at its defaults too: those size themselves (core/drone/flowControl.ts).
 */
export const LARGE = 50_000;

export async function drainCase(opts: CaseOptions): Promise<CaseResult> {
  const sizes = opts.sizes.drain;
  const systems = selected(opts, DRAIN_SYSTEMS);
  const runs = (spec: (typeof systems)[number], n: number) => n <= LARGE || !spec.id.includes('defaults') || spec.family === 'swarmage' || opts.only !== null;
  const rec = new CaseRecorder(
    1,
    'drain',
    'Drain throughput (no-op jobs, jobs/s from the first job handled to an empty queue)',
    {
      rounds: opts.rounds,
      sizes,
      capSeconds: opts.capSeconds,
      method:
        'empty queue (TRUNCATE, VACUUM ANALYZE, CHECKPOINT); start the consumer, wait until it is up, then 500 ms; fill N jobs in ONE ' +
        'transaction (bulk statements of 10,000) so all become visible at its commit = t0; t1 = the database holds no unfinished job; ' +
        'rate = N / (t1 - t0). Also reported: commit → first job handled (reaction), and N / (first job handled → empty).',
    },
    systems,
  );
  const dbs = new Databases(opts.env, 'drain');
  const rate = new Series();
  const startup = new Series();
  const reaction = new Series();
  const fromFirst = new Series();
  const timedOut = new Map<string, number>();
  try {
    for (let r = 1; r <= opts.rounds; r++) {
      for (const n of sizes) {
        for (const spec of systems) {
          if (!runs(spec, n)) continue;
          const key = `${spec.id}@${n}`;
          const where = `case 1 drain n=${n} · round ${r}/${opts.rounds} · ${spec.label}`;
          try {
            const q = await dbs.get(spec, n);
            progress(`${where}: starting…`);
            const t = now();
            const out = await drain(q, spec, n, opts.env.scratch(spec.id), opts.capSeconds);
            rate.add(key, r, out.rate);
            startup.add(key, r, out.startupMs);
            reaction.add(key, r, out.reactionMs);
            fromFirst.add(key, r, out.rateFromFirst);
            if (out.timedOut) timedOut.set(key, (timedOut.get(key) ?? 0) + 1);
            rec.sample({
              round: r,
              n,
              system: spec.id,
              rate: out.rate,
              seconds: out.seconds,
              handled: out.handled,
              timedOut: out.timedOut,
              reactionMs: out.reactionMs,
              rateFromFirst: out.rateFromFirst,
              startupMs: out.startupMs,
              fillSeconds: out.fillSeconds,
              wallSeconds: (now() - t) / 1000,
              ...(out.complaints.length ? { droneWarnings: out.complaints } : {}),
            });
            progress(
              `${where}: ${fmt(out.rate)} jobs/s (${out.seconds.toFixed(2)} s; first job ${fmt(out.reactionMs, 0)} ms after the commit${out.timedOut ? `; CUT at the ${spec.capSeconds ?? opts.capSeconds} s cap after ${out.handled} jobs` : ''})`,
            );
          } catch (err) {
            rec.error(where, err);
          }
        }
      }
    }
  } finally {
    await dbs.closeAll();
  }

  const ours = systems.filter((s) => s.ours);
  const peers = systems.filter((s) => !s.ours);
  for (const n of sizes) {
    const rows: string[][] = [];
    const here = systems.filter((s) => runs(s, n));
    for (const spec of here) {
      const key = `${spec.id}@${n}`;
      const s = summarize(rate.values(key));
      const st = summarize(startup.values(key));
      const re = summarize(reaction.values(key));
      const ff = summarize(fromFirst.values(key));
      const cut = timedOut.get(key) ?? 0;
      rec.result.summary.push({ n, system: spec.id, rate: s, reactionMs: re, rateFromFirst: ff, startupMs: st, timedOutRounds: cut });
      rows.push([
        spec.label,
        fmtSummary(s),
        fmt(re.median, 0),
        fmt(ff.median),
        fmt(st.median, 0),
        cut ? `${cut} of ${s.n} cut at ${spec.capSeconds ?? opts.capSeconds} s: rate = jobs handled ÷ time` : '',
      ]);
    }
    rec.table({
      title: `Case 1 — drain ${fmt(n, 0)} no-op jobs: jobs/s, median (min–max) of ${opts.rounds} rounds`,
      columns: ['system', 'jobs/s', 'first job ms', 'jobs/s from first', 'start-up ms', 'note'],
      rows,
      notes: [
        'jobs/s: N ÷ (commit of the fill → queue empty). first job ms: commit → first handler call (median). jobs/s from first: N ÷ (first handler call → empty) (median). start-up ms: start → consumer up (not in the rate).',
      ],
    });
    const oursHere = ours.filter((s) => runs(s, n));
    const peersHere = peers.filter((s) => runs(s, n));
    if (oursHere.length && peersHere.length) {
      const ratioRows: string[][] = [];
      for (const o of oursHere) {
        const row = [o.label];
        for (const p of peersHere) {
          const rr = roundRatios(rate.get(`${o.id}@${n}`), rate.get(`${p.id}@${n}`));
          rec.result.ratios.push({ size: n, ours: o.id, peer: p.id, ...rr });
          row.push(fmtRatio(rr));
        }
        ratioRows.push(row);
      }
      rec.table({
        title: `Case 1 — drain ${fmt(n, 0)}: ours ÷ peer, ratio taken within each round, median (min–max)`,
        columns: ['ours \\ peer', ...peersHere.map((p) => p.label)],
        rows: ratioRows,
      });
    }
  }
  return rec.finish();
}
