import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from '../helpers/tmp.js';
import { ROUNDS, scaled, summary } from '../helpers/faults.js';
import { enqueueAll, settled } from '../helpers/fleet.js';
import { faultScenario } from '../helpers/scenario.js';

/**
 * SIGKILL one drone at random moments — at its crash points (during a claim, the local insert, a
 * chain, the acknowledgement batch) and at random times — and restart it on the same local file.
 * Every task must be answered exactly once; only tasks the drone held when it died may run twice.
 */
const SCENARIO = 'kill-restart';
const POINTS = ['claimed', 'buffered', 'hopped', 'recorded', 'acked'] as const;
const TASKS = scaled(400, 3000);

describe('faults: SIGKILL the drone at random moments, restart it on the same local file', () => {
  const sc = faultScenario(SCENARIO, 'SIGKILL at claim / local insert / chain / ack / random time; restart on the same local file');
  const { fig } = sc;
  const points = new Map<string, number>();
  sc.atEnd(() => {
    fig.extra.killsByPoint = Object.fromEntries(points);
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: kills at crash points and at random times, then a clean restart; every task accounted for`, async () => {
      const { url, sql } = sc;
      const { r, schema, dir, ledger, droneConfig, settle } = sc.round(round);
      const config = droneConfig({
        workers: { a: [ledger({ next: 'b' }), ledger({ next: 'b' })], b: [ledger(), ledger()] },
        pollIntervalMs: 200,
        leaseMs: 10_000,
        maxPerWorker: r.int(5, 20),
        retry: { baseMs: 50, maxMs: 500 },
      });
      const ids = await enqueueAll(
        url,
        schema,
        Array.from({ length: TASKS }, (_, i) => ({ type: 'a', data: { i, ms: r.int(0, 4) }, postback: 'done' })),
      );
      const fleet = sc.fleet(`${SCENARIO}-round${round}`);

      // Two runs that end in a SIGKILL, each on the same local file as the one before.
      for (let run = 0; run < 2; run++) {
        const byPoint = run === 0 || r.chance(0.5);
        const point = r.pick(POINTS);
        const spec = `${point}:${r.int(1, 6)}`;
        const d = fleet.start(`run${run}`, dir, config, { env: byPoint ? { SWARMAGE_FAULTS: spec } : {} });
        const label = byPoint ? point : 'random time';
        if (!byPoint) {
          await sleep(r.int(200, 1500));
          await fleet.kill(d);
        } else {
          await settled(sql, schema, 'done', 120_000, () => d.alive);
          await sleep(50);
          if (d.alive) {
            // The crash point was not reached before the work ran out: note it, stop gracefully.
            fig.notes.push(`round ${round}: SWARMAGE_FAULTS=${spec} not reached`);
            d.proc.kill('SIGTERM');
            assert.deepEqual(await d.ended, { code: 0, signal: null });
            break;
          }
        }
        const end = await d.ended;
        if (end.signal === 'SIGKILL') points.set(label, (points.get(label) ?? 0) + 1);
        assert.ok(end.signal === 'SIGKILL' || end.code === 0, `run ${run} ended with ${JSON.stringify(end)}:\n${d.output().slice(-2000)}`);
      }

      const last = fleet.start('clean', dir, config);
      const { ok, stopped, a } = await settle(fleet, ids, 120_000);
      console.log(`# ${SCENARIO} round ${round}: ${fleet.kills} kill(s); ${summary(a)}`);
      assert.ok(ok, `not every task settled:\n${last.output().slice(-3000)}`);
      assert.deepEqual(
        stopped.map((s) => s.code),
        [0],
        'the last drone stops cleanly',
      );
      assert.deepEqual(a.lost, [], 'lost');
      assert.deepEqual(a.stuck, [], 'stuck');
      assert.deepEqual(a.wrong, [], 'wrong outcomes');
      assert.deepEqual(a.unexplainedDuplicates, [], 'duplicates not explained by a kill');
      assert.equal(a.completedOnce, TASKS);
      await sql.query(`DROP SCHEMA "${schema}" CASCADE`);
    });
  }
});
