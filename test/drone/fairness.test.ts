import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { PgQueue } from '../../core/queue/pg/pgQueue.js';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { spawnDrone } from '../helpers/drone.js';
import { FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';

/**
 * Drones at their defaults (no maxPerWorker, no prefetch) as real processes sharing one queue: the
 * flow controller must not let one of them hoard what the others could run.
 */
describe('flow control between drones (defaults, real drone processes)', () => {
  let url: string;
  const procs: ChildProcess[] = [];
  const queues: PgQueue[] = [];

  before(async () => {
    url = await testDatabaseUrl();
  });
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    await Promise.all(queues.map((q) => q.close()));
  });

  /**
   * `n` drones on a fresh schema, each with `instances` ledger workers for "job" (or the workers
   * `types` gives, each writing to the ledger file it is given); resolves once all run.
   */
  async function fleet(n: number, instances: number, types?: (file: string) => Record<string, unknown>) {
    const schema = freshSchema();
    const file = path.join(tmpDir(), 'ledger.txt');
    const worker = { module: path.join(FIXTURES, 'workers/ledger.js'), config: { file } };
    const drones: Array<ReturnType<typeof spawnDrone>> = [];
    for (let i = 0; i < n; i++) {
      const dir = tmpDir();
      const config = {
        queue: { config: { schema } },
        workers: types ? types(file) : { job: instances === 1 ? worker : Array.from({ length: instances }, () => worker) },
        localQueue: { path: path.join(dir, 'local.sqlite') },
      };
      const d = spawnDrone(url, dir, config);
      procs.push(d.proc);
      drones.push(d);
    }
    for (const d of drones) await waitFor('the drone running', () => /drone \S+ running on/.test(d.output()) || undefined, 60_000);
    const queue = new PgQueue({ connectionString: url, schema, poolSize: 2 });
    queues.push(queue);
    /** Tasks run, by drone pid: the ledger's lines are "taskId dronePid workerPid". */
    const ranBy = () => {
      const byDrone = new Map<number, number>();
      const ids = new Set<string>();
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      for (const line of text.split('\n')) {
        if (!line) continue;
        const [id, drone] = line.split(' ');
        ids.add(id);
        byDrone.set(Number(drone), (byDrone.get(Number(drone)) ?? 0) + 1);
      }
      return { byDrone, ids, lines: text.split('\n').filter(Boolean).length };
    };
    const stop = async () => {
      for (const d of drones) d.proc.kill('SIGTERM');
      await Promise.all(drones.map((d) => d.exited));
    };
    return { queue, drones, ranBy, stop, schema };
  }

  it('three equal drones share 30,000 tasks of about 1 ms: each does 25–42 % of them', async () => {
    const { queue, drones, ranBy, stop } = await fleet(3, 2);
    const tasks = Array.from({ length: 30_000 }, (_, i) => ({ type: 'job', data: { ms: 1, i } }));
    await queue.enqueue(tasks);
    await waitFor('all 30,000 run', () => ranBy().lines >= 30_000 || undefined, 240_000, 200);
    await stop();
    const { byDrone, ids, lines } = ranBy();
    assert.equal(ids.size, 30_000, 'every task ran');
    assert.equal(lines, 30_000, 'none twice');
    const shares = drones.map((d) => (byDrone.get(d.proc.pid!) ?? 0) / 30_000);
    for (const share of shares) assert.ok(share >= 0.25 && share <= 0.42, `shares: ${shares.map((s) => (s * 100).toFixed(1) + ' %').join(', ')}`);
  });

  it('long tasks spread: two drones with one worker each split four slow tasks two and two, instead of one drone running all four', async () => {
    const { queue, drones, ranBy, stop } = await fleet(2, 1);
    await queue.enqueue(Array.from({ length: 4 }, (_, i) => ({ type: 'job', data: { ms: 3000, i } })));
    await waitFor('all four run', () => ranBy().lines >= 4 || undefined, 60_000, 100);
    await stop();
    const { byDrone } = ranBy();
    assert.deepEqual(
      drones.map((d) => byDrone.get(d.proc.pid!) ?? 0),
      [2, 2],
    );
  });

  it('two drones share a pipeline whose second stage is slow: each runs 30–70 % of the chains, and neither holds more than the slow stage ends in a second', async () => {
    const ledger = path.join(FIXTURES, 'workers/ledger.js');
    // "job" takes no time and chains to "slow", which takes data.ms (20 ms): one worker each, per drone.
    const { queue, drones, ranBy, stop, schema } = await fleet(2, 1, (file) => ({
      job: { module: ledger, config: { file, next: 'slow', delayScale: 0 } },
      slow: { module: ledger, config: { file } },
    }));
    const db = await sqlClient(url);
    // Claimed by one drone at once: chains under way there, and ended ones whose acknowledgement is on its way.
    let most = 0;
    try {
      await queue.enqueue(Array.from({ length: 400 }, (_, i) => ({ type: 'job', data: { ms: 20, i } })));
      await waitFor(
        'all 400 chains run',
        async () => {
          const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE state = 'claimed' GROUP BY claimed_by`);
          for (const r of rows) most = Math.max(most, r.n);
          return ranBy().lines >= 400 || undefined;
        },
        120_000,
        20,
      );
    } finally {
      await db.end();
    }
    await stop();
    const { byDrone, ids, lines } = ranBy();
    assert.equal(ids.size, 400, 'every chain ran to its end');
    assert.equal(lines, 400, 'none twice');
    const shares = drones.map((d) => (byDrone.get(d.proc.pid!) ?? 0) / 400);
    for (const share of shares) assert.ok(share >= 0.3 && share <= 0.7, `shares: ${shares.map((s) => (s * 100).toFixed(1) + ' %').join(', ')}`);
    // One slow worker ends about 50 chains a second: a drone's buffer follows that pace (a quarter
    // of a second's worth, plus claims whose acknowledgement is on its way), not its first stage's.
    assert.ok(most <= 50, `a drone held ${most} of the 400 claims at once`);
  });
});
