/**
 * Case 4, memory: the RSS of the `swarmage drone` process (from /proc/<pid>/status) while it works
 * through a long stream of no-op tasks, read when it has done the first checkpoint (100,000 in the
 * full run) and the last (1,000,000). The queue is kept topped up (at most 200,000 waiting) rather
 * than filled at once, as a long-running drone would see it. Flat = no leak; the target is that the
 * last reading is within 50 MB of the first.
 */
import fs from 'node:fs';
import { now, progress, rssMb, sleep } from './env.js';
import { CaseRecorder, Databases, selected, type CaseOptions } from './harness.js';
import type { CaseResult } from './results.js';
import { summarize } from './stats.js';
import { fmt, fmtSummary } from './table.js';

/** Tuned only: at its defaults the drone would take the better part of an hour for a million here. */
export const MEMORY_SYSTEMS = ['swarmage-tuned-4w', 'swarmage-defaults-4w'];
const MAX_WAITING = 200_000;
const FEED = 50_000;

/** RSS of the drone's worker processes (its children), MB. */
function childrenRssMb(pid: number): number {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids.reduce((sum, k) => sum + (rssMb(k)?.rss ?? 0), 0);
  } catch {
    return NaN;
  }
}

export async function memoryCase(opts: CaseOptions, rounds: number): Promise<CaseResult> {
  const checkpoints = [...opts.sizes.memory].sort((a, b) => a - b);
  const total = checkpoints[checkpoints.length - 1];
  const systems = selected(opts, MEMORY_SYSTEMS);
  const rec = new CaseRecorder(
    4,
    'memory',
    `Memory: drone RSS after ${checkpoints.map((c) => fmt(c, 0)).join(' and ')} tasks`,
    {
      rounds,
      checkpoints,
      maxWaiting: MAX_WAITING,
      feedChunk: FEED,
      method:
        'one swarmage drone process; tasks fed in bulk (10,000 per statement) so that at most 200,000 wait; VmRSS of the drone ' +
        'process sampled every 250 ms; the reading at a checkpoint is the first sample taken after that many tasks were handled.',
    },
    systems,
  );
  const dbs = new Databases(opts.env, 'memory');
  const at = new Map<string, number[]>(); // `${system}@${checkpoint}` → RSS per round
  try {
    for (let r = 1; r <= rounds; r++) {
      for (const spec of systems) {
        const where = `case 4 memory · round ${r}/${rounds} · ${spec.label}`;
        try {
          const q = await dbs.get(spec, `r${r}`);
          const running = await q.start({ dir: opts.env.scratch(spec.id), mode: 'count' });
          const pid = running.pid!;
          const trace: Array<{ s: number; done: number; rss: number; hwm: number; workersRss: number }> = [];
          const readings = new Map<number, { rss: number; workersRss: number; done: number }>();
          let enqueued = 0;
          let complaints: string[] = [];
          const t0 = now();
          let lastLog = 0;
          try {
            await running.ready;
            let nextSample = 0;
            for (;;) {
              const problem = running.problem?.();
              if (problem) throw new Error(problem);
              const done = running.done();
              if (enqueued < total && enqueued - done < MAX_WAITING) {
                const n = Math.min(FEED, total - enqueued);
                await q.enqueue(n);
                enqueued += n;
              }
              if (now() >= nextSample) {
                nextSample = now() + 250;
                const m = rssMb(pid);
                if (m) {
                  const workersRss = childrenRssMb(pid);
                  trace.push({ s: (now() - t0) / 1000, done, rss: m.rss, hwm: m.hwm, workersRss });
                  for (const c of checkpoints) if (done >= c && !readings.has(c)) readings.set(c, { rss: m.rss, workersRss, done });
                }
                if (now() - lastLog > 10_000) {
                  lastLog = now();
                  progress(`${where}: ${fmt(done, 0)} of ${fmt(total, 0)} done, RSS ${fmt(m?.rss ?? NaN, 1)} MB`);
                }
              }
              if (readings.size === checkpoints.length) break;
              if (now() - t0 > opts.capSeconds * 10 * 1000) throw new Error(`not done after ${opts.capSeconds * 10} s`);
              await sleep(enqueued < total ? 20 : 100);
            }
            complaints = running.complaints?.() ?? [];
          } finally {
            await running.stop();
          }
          const seconds = (now() - t0) / 1000;
          const peak = Math.max(...trace.map((x) => x.hwm));
          for (const c of checkpoints) {
            const key = `${spec.id}@${c}`;
            at.set(key, [...(at.get(key) ?? []), readings.get(c)!.rss]);
          }
          // Keep the file small: about 40 points of the trace.
          const every = Math.max(1, Math.ceil(trace.length / 40));
          rec.sample({
            round: r,
            system: spec.id,
            seconds,
            tasks: total,
            readings: Object.fromEntries(
              [...readings].map(([c, v]) => [c, { rssMb: Number(v.rss.toFixed(1)), workersRssMb: Number(v.workersRss.toFixed(1)), done: v.done }]),
            ),
            peakRssMb: Number(peak.toFixed(1)),
            trace: trace.filter((_, i) => i % every === 0).map((x) => [Number(x.s.toFixed(1)), x.done, Number(x.rss.toFixed(1))]),
            ...(complaints.length ? { droneWarnings: complaints } : {}),
          });
          progress(
            `${where}: ${checkpoints.map((c) => `${fmt(c, 0)} → ${fmt(readings.get(c)!.rss, 1)} MB`).join(', ')}; peak ${fmt(peak, 1)} MB; ${seconds.toFixed(0)} s`,
          );
          await q.reset();
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
    const first = at.get(`${spec.id}@${checkpoints[0]}`) ?? [];
    const last = at.get(`${spec.id}@${total}`) ?? [];
    const growth = last.map((x, i) => x - first[i]);
    const row = [spec.label, ...checkpoints.map((c) => fmtSummary(summarize(at.get(`${spec.id}@${c}`) ?? []), 1))];
    row.push(fmtSummary(summarize(growth), 1));
    rec.result.summary.push({
      system: spec.id,
      ...Object.fromEntries(checkpoints.map((c) => [`rssMbAt${c}`, summarize(at.get(`${spec.id}@${c}`) ?? [])])),
      growthMb: summarize(growth),
    });
    rows.push(row);
  }
  rec.table({
    title: `Case 4 — drone RSS, MB${rounds > 1 ? `, median (min–max) of ${rounds} rounds` : ' (one run)'}`,
    columns: ['system', ...checkpoints.map((c) => `after ${fmt(c, 0)}`), `growth ${fmt(checkpoints[0], 0)} → ${fmt(total, 0)}`],
    rows,
  });
  return rec.finish();
}
