import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, tmpDir, waitFor } from '../helpers/tmp.js';
import { ROUNDS, scaled, summary } from '../helpers/faults.js';
import { enqueueAll, running } from '../helpers/fleet.js';
import { faultScenario } from '../helpers/scenario.js';

/**
 * SIGKILL a drone and never restart it: the other drone takes its tasks once their lease has run
 * out. The time from the kill until the dead drone holds nothing is the rescue time; it is bounded
 * by the lease (leaseMs, plus the heartbeat and rescue intervals that derive from it).
 */
const SCENARIO = 'rescue';
const LEASE_MS = 4000;
const TASKS = scaled(300, 2000);

describe('faults: a killed drone is never restarted; a second drone finishes its work after the lease', () => {
  const sc = faultScenario(SCENARIO, 'SIGKILL a drone, never restart it: a second drone rescues its tasks after the lease');
  const { fig } = sc;
  sc.atEnd(() => {
    fig.extra.leaseMs = LEASE_MS;
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: the survivor rescues the dead drone's tasks and every task is accounted for`, async () => {
      const { url, sql } = sc;
      const { r, schema, ledger, droneConfig, settle } = sc.round(round);
      const config = (alias: string) =>
        droneConfig({
          alias,
          workers: { a: [ledger(), ledger()] },
          pollIntervalMs: 200,
          leaseMs: LEASE_MS,
          maxPerWorker: r.int(5, 20),
        });
      const ids = await enqueueAll(
        url,
        schema,
        Array.from({ length: TASKS }, (_, i) => ({ type: 'a', data: { i, ms: r.int(5, 40) }, postback: 'done' })),
      );
      const fleet = sc.fleet(`${SCENARIO}-round${round}`);
      const victim = fleet.start('victim', tmpDir(), config('victim'));
      const survivor = fleet.start('survivor', tmpDir(), config('survivor'));
      await Promise.all([running(victim), running(survivor)]);
      const holds = async () => (await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE claimed_by = 'victim'`)).rows[0].n;
      await waitFor('the victim to hold tasks', holds, 30_000);
      await sleep(r.int(0, 300));
      await fleet.kill(victim);
      const killedAt = Date.now();
      const held = await holds();
      // A bound, not a measurement: the lease, then a heartbeat and a rescue pass of the survivor.
      await waitFor("the victim's tasks to be rescued", async () => (await holds()) === 0, LEASE_MS * 3 + 30_000, 20);
      const rescueMs = Date.now() - killedAt;
      if (held > 0) fig.rescueMs.push(rescueMs);
      const { ok, stopped, a } = await settle(fleet, ids, 120_000);
      console.log(`# ${SCENARIO} round ${round}: victim held ${held} task(s), rescued after ${rescueMs} ms; ${summary(a)}`);
      assert.ok(ok, `not every task settled:\n${survivor.output().slice(-3000)}`);
      assert.deepEqual(
        stopped.map((s) => s.code),
        [0],
      );
      if (held > 0) assert.match(survivor.output(), /rescued \d+ task\(s\) whose drone stopped heartbeating/);
      assert.deepEqual(a.lost, [], 'lost');
      assert.deepEqual(a.stuck, [], 'stuck');
      assert.deepEqual(a.wrong, [], 'wrong outcomes');
      assert.deepEqual(a.unexplainedDuplicates, [], 'duplicates not explained by the kill');
      assert.equal(a.completedOnce, TASKS);
      await sql.query(`DROP SCHEMA "${schema}" CASCADE`);
    });
  }
});
