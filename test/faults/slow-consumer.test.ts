import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, tmpDir } from '../helpers/tmp.js';
import { ROUNDS, roundRng, rssMb, scaled, summary } from '../helpers/faults.js';
import { enqueueAll, running } from '../helpers/fleet.js';
import { faultScenario } from '../helpers/scenario.js';
import { SwarmageClient } from '../../core/swarmageClient.js';

/**
 * A slow consumer: tasks arrive about twice as fast as the drone's workers can do them, for 12 s
 * per round (small) or 3 minutes per round (full, with a fifth of the rounds). The drone must hold no more than its capacity (maxPerWorker ×
 * instances) however long the backlog grows, so its memory stays flat; then it stops gracefully
 * (giving back what it buffered) and a fast drone works off the backlog: nothing dropped.
 */
const SCENARIO = 'slow-consumer';
const SECONDS = scaled(12, 180);
/** At the full scale each round lasts 3 minutes, so it runs a fifth of FAULT_ROUNDS (at least one). */
const SLOW_ROUNDS = scaled(ROUNDS, Math.max(1, Math.ceil(ROUNDS / 5)));
const PER_WORKER = 10;
const INSTANCES = 2;

describe('faults: a slow consumer under a steady overload', () => {
  const sc = faultScenario(SCENARIO, `workers slower than arrivals (about 2×) for ${SECONDS} s; drone memory and buffer stay bounded`);
  const { seed, fig } = sc;
  const memory: Array<Record<string, number>> = [];
  sc.atEnd(() => {
    fig.extra.seconds = SECONDS;
    fig.extra.capacity = PER_WORKER * INSTANCES;
    fig.extra.memory = memory;
  });

  for (let round = 1; round <= SLOW_ROUNDS; round++) {
    it(`round ${round}: ${SECONDS} s of overload; the drone's buffer and memory stay bounded, nothing is dropped`, async () => {
      const { url, sql } = sc;
      const { r, schema, ledger, droneConfig, settle } = sc.round(round);
      const rp = roundRng(seed, `${SCENARIO}:producer`, round);
      const config = (alias: string, delayScale: number) =>
        droneConfig({
          alias,
          workers: { slow: Array.from({ length: INSTANCES }, () => ledger({ delayScale })) },
          pollIntervalMs: 200,
          leaseMs: 30_000,
          maxPerWorker: PER_WORKER,
        });
      // Each task takes 30–50 ms: two instances do about 50 a second; about 100 a second arrive.
      const task = () => ({ type: 'slow', data: { ms: rp.int(30, 50) }, postback: 'done' });
      const ids = await enqueueAll(url, schema, Array.from({ length: 100 }, task));
      const fleet = sc.fleet(`${SCENARIO}-round${round}`);
      const slow = fleet.start('slow', tmpDir(), config('slow', 1), { args: ['--ui', '127.0.0.1:0'] });
      await running(slow);
      const api = await sc.api(slow);

      const samples: Array<{ t: number; rss: number; held: number; buffered: number; outbox: number }> = [];
      const client = await SwarmageClient.connect({ connectionString: url, schema });
      const started = Date.now();
      let nextSample = started;
      try {
        while (Date.now() - started < SECONDS * 1000) {
          ids.push(...(await client.enqueueMany(Array.from({ length: r.int(8, 12) }, task))));
          if (Date.now() >= nextSample) {
            nextSample += 1000;
            const rss = rssMb(slow.pid);
            assert.ok(rss !== null, `the drone died:\n${slow.output().slice(-2000)}`);
            const held = (await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE claimed_by = 'slow'`)).rows[0].n;
            const snap = (await api.snapshot()).drone!;
            const type = snap.types.find((t) => t.type === 'slow')!;
            assert.equal(type.capacity, PER_WORKER * INSTANCES);
            samples.push({ t: Date.now() - started, rss, held, buffered: type.buffered, outbox: snap.outbox });
          }
          await sleep(100);
        }
      } finally {
        await client.close();
      }
      const backlog = (await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE type = 'slow' AND state = 'available'`)).rows[0].n;
      slow.proc.kill('SIGTERM');
      assert.deepEqual(await slow.ended, { code: 0, signal: null }, 'the slow drone stops gracefully');
      const fast = fleet.start('fast', tmpDir(), config('fast', 0));
      const { ok, stopped, a } = await settle(fleet, ids, 300_000);

      // Memory: after a warm-up quarter, the second half may not grow past the first by more than noise.
      const warm = samples.filter((s) => s.t >= (SECONDS * 1000) / 4);
      const mid = warm.filter((s) => s.t < (SECONDS * 1000) / 2);
      const late = warm.filter((s) => s.t >= (SECONDS * 1000) / 2);
      const peak = (xs: typeof samples) => Math.max(...xs.map((s) => s.rss));
      const most = (k: 'held' | 'buffered' | 'outbox') => Math.max(...samples.map((s) => s[k]));
      const maxHeld = most('held');
      const maxBuffered = most('buffered');
      const m = {
        round,
        rssStartMb: +samples[0].rss.toFixed(1),
        rssWarmPeakMb: +peak(mid).toFixed(1),
        rssLatePeakMb: +peak(late).toFixed(1),
        rssEndMb: +samples.at(-1)!.rss.toFixed(1),
        maxBuffered,
        maxOutbox: most('outbox'),
        maxHeld,
        backlogAtEnd: backlog,
      };
      memory.push(m);
      console.log(`# ${SCENARIO} round ${round}: ${JSON.stringify(m)}; ${summary(a)}`);
      assert.ok(backlog > 0, 'the workers really were slower than the arrivals');
      // Capacity bounds the local buffer (waiting + running) exactly. Postgres also counts, as claimed,
      // tasks that finished and wait in the outbox for their acknowledgement (one round trip).
      assert.ok(maxBuffered <= PER_WORKER * INSTANCES, `the drone buffered ${maxBuffered} tasks; its capacity is ${PER_WORKER * INSTANCES}`);
      assert.ok(maxBuffered === PER_WORKER * INSTANCES, `the buffer never filled up (at most ${maxBuffered}): not an overload`);
      assert.ok(
        maxHeld <= 2 * PER_WORKER * INSTANCES,
        `Postgres counted ${maxHeld} tasks claimed by the drone; its capacity is ${PER_WORKER * INSTANCES} plus outcomes on their way`,
      );
      assert.ok(peak(late) <= peak(mid) + 40, `memory grew from ${peak(mid)} MB to ${peak(late)} MB`);
      assert.deepEqual(a.lost, [], 'lost');
      assert.deepEqual(a.stuck, [], 'stuck');
      assert.deepEqual(a.wrong, [], 'wrong outcomes');
      assert.ok(ok, `not every task settled:\n${fast.output().slice(-3000)}`);
      assert.deepEqual(
        stopped.map((s) => s.code),
        [0],
      );
      assert.equal(a.duplicates, 0, 'no task ran twice');
      assert.equal(a.completedOnce, ids.length);
      await sql.query(`DROP SCHEMA "${schema}" CASCADE`);
    });
  }
});
