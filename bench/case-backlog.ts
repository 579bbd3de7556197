/**
 * Case 3, backlog growth: the steady drain rate of a queue holding S jobs (the smallest size, 50,000
 * by default) against one holding a big backlog (1,000,000 in the full run). A queue whose claim cost
 * grows with the backlog slows down here; the target is ≥ 85 % of the small-queue rate.
 *
 * The consumer starts on the full queue. Handler counts only say when to look (they run ahead of the
 * database by up to a fetched batch: 5,000 for tuned graphile-worker's local queue, 20,000 for tuned
 * pg-boss); the rate itself comes from the database: the unfinished jobs are counted when the
 * handlers pass 20 % of S and again when they pass 80 % of S, and rate = (count₁ − count₂) ÷ the time
 * between the two counts (taken just before each count statement). Both sizes are measured alike,
 * over the same jobs (20 %–80 % of S), so neither start-up nor the queue running dry is in it.
 * (20,000, the size the issue names, lasts under a second here for the fastest systems and a single
 * fetch round for tuned pg-boss: too short for a steady window, hence 50,000.)
 */
import { now, progress, settleTables, sleep } from './env.js';
import { CaseRecorder, Databases, Series, selected, type CaseOptions } from './harness.js';
import type { CaseResult } from './results.js';
import { roundRatios, summarize } from './stats.js';
import { fmt, fmtRatio, fmtSummary } from './table.js';
import type { Running } from './system.js';

export const BACKLOG_SYSTEMS = ['swarmage-tuned-4w', 'swarmage-defaults-4w', 'graphile-worker-tuned', 'pg-boss-tuned', 'raw-sql'];

const FROM = 0.2;
const TO = 0.8;
const MIN_WINDOW_MS = 250;

async function handledAtLeast(running: Running, n: number, cap: number): Promise<void> {
  while (running.done() < n) {
    const problem = running.problem?.();
    if (problem) throw new Error(problem);
    if (now() > cap) throw new Error(`fewer than ${n} jobs handled before the cap`);
    await sleep(2);
  }
}

export async function backlogCase(opts: CaseOptions): Promise<CaseResult> {
  const sizes = [...opts.sizes.backlog].sort((a, b) => a - b);
  const k = sizes[0];
  const a = Math.floor(k * FROM);
  const b = Math.floor(k * TO);
  const systems = selected(opts, BACKLOG_SYSTEMS);
  const rec = new CaseRecorder(
    3,
    'backlog',
    `Backlog growth: steady drain rate with ${sizes.map((s) => fmt(s, 0)).join(' vs ')} queued`,
    {
      rounds: opts.rounds,
      small: k,
      backlogs: sizes,
      window: [a, b],
      capSeconds: opts.capSeconds,
      method:
        `one database per system and size, filled once and topped up before each round, VACUUM ANALYZE + CHECKPOINT; start the consumer on ` +
        `the full queue; count the unfinished jobs in the database when the handlers pass job ${a} and again when they pass job ${b}; ` +
        'rate = (first count − second count) / (time between the counts); stop (unstarted jobs go back).',
    },
    systems,
  );
  const dbs = new Databases(opts.env, 'backlog');
  const rate = new Series();
  try {
    for (let r = 1; r <= opts.rounds; r++) {
      for (const size of sizes) {
        for (const spec of systems) {
          const where = `case 3 backlog ${fmt(size, 0)} · round ${r}/${opts.rounds} · ${spec.label}`;
          try {
            const q = await dbs.get(spec, size, async (q) => {
              progress(`${where}: filling ${fmt(size, 0)}…`);
              const t = now();
              await q.enqueue(size);
              progress(`${where}: filled in ${((now() - t) / 1000).toFixed(1)} s`);
            });
            const left = await q.remaining();
            if (left < size) await q.enqueue(size - left);
            await settleTables(q.url, q.tables);
            const running = await q.start({ dir: opts.env.scratch(spec.id), mode: 'count' });
            let c1 = 0;
            let c2 = 0;
            let t1 = 0;
            let t2 = 0;
            let complaints: string[] = [];
            try {
              const cap = running.startedAt + opts.capSeconds * 1000;
              await handledAtLeast(running, a, cap);
              t1 = now();
              c1 = await q.remaining();
              await handledAtLeast(running, b, cap);
              // A batch consumer can pass both marks in one fetch: keep the window long enough to time.
              while (now() - t1 < MIN_WINDOW_MS) await sleep(5);
              t2 = now();
              c2 = await q.remaining();
              // Handlers can run a whole fetch ahead of the acknowledgements: wait until some arrived.
              while (c2 >= c1 && now() < cap) {
                await sleep(50);
                t2 = now();
                c2 = await q.remaining();
              }
              complaints = running.complaints?.() ?? [];
            } finally {
              await running.stop();
            }
            if (c1 <= c2) throw new Error(`no job finished between the counts (${c1} then ${c2})`);
            const x = (c1 - c2) / ((t2 - t1) / 1000);
            rate.add(`${spec.id}@${size}`, r, x);
            rec.sample({
              round: r,
              backlog: size,
              system: spec.id,
              rate: x,
              seconds: (t2 - t1) / 1000,
              finished: c1 - c2,
              counts: [c1, c2],
              queuedBefore: Math.max(left, size),
              ...(complaints.length ? { droneWarnings: complaints } : {}),
            });
            progress(`${where}: ${fmt(x)} jobs/s`);
          } catch (err) {
            rec.error(where, err);
          }
        }
      }
    }
  } finally {
    await dbs.closeAll();
  }

  const big = sizes.slice(1);
  const rows: string[][] = [];
  for (const spec of systems) {
    const row = [spec.label];
    for (const size of sizes) {
      const s = summarize(rate.values(`${spec.id}@${size}`));
      rec.result.summary.push({ backlog: size, system: spec.id, rate: s });
      row.push(fmtSummary(s));
    }
    for (const size of big) {
      const rr = roundRatios(rate.get(`${spec.id}@${size}`), rate.get(`${spec.id}@${k}`));
      rec.result.ratios.push({ system: spec.id, backlog: size, versus: k, ...rr });
      row.push(fmtRatio(rr));
    }
    rows.push(row);
  }
  rec.table({
    title: `Case 3 — steady drain rate (jobs finished per second, counted in the database) by queue size; median (min–max) of ${opts.rounds} rounds; ratio within each round`,
    columns: ['system', ...sizes.map((s) => `${fmt(s, 0)} queued`), ...big.map((s) => `${fmt(s, 0)} ÷ ${fmt(k, 0)}`)],
    rows,
  });
  return rec.finish();
}
