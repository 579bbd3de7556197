import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, tmpDir, waitFor } from '../helpers/tmp.js';
import { ROUNDS, scaled, summary } from '../helpers/faults.js';
import { enqueueAll, running, type FleetDrone } from '../helpers/fleet.js';
import { faultScenario } from '../helpers/scenario.js';

/**
 * Four drones share 20,000 tasks (2,000 at the small scale); two of them are SIGKILLed at random
 * points of the run, and each is either restarted on its local file after a while or left dead
 * (its tasks are rescued after the lease). Every task is accounted for.
 */
const SCENARIO = 'swarm';
const TASKS = scaled(2000, 20_000);
const LEASE_MS = 8000; // long enough that a busy 2-core machine never loses a live drone's lease

describe('faults: four drones, random kills of two of them', () => {
  const sc = faultScenario(SCENARIO, `4 drones × ${TASKS.toLocaleString('en')} tasks, random SIGKILLs of two (restarted or left dead)`);
  const { fig } = sc;
  sc.atEnd(() => {
    fig.extra.leaseMs = LEASE_MS;
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: ${TASKS} tasks, two of four drones killed at random; every task accounted for`, async () => {
      const { url, sql } = sc;
      const { r, schema, ledger, droneConfig, settle } = sc.round(round);
      const config = (alias: string) =>
        droneConfig({
          alias,
          workers: { a: [ledger({ next: 'b' }), ledger({ next: 'b' })], b: [ledger(), ledger()] },
          pollIntervalMs: 250,
          leaseMs: LEASE_MS,
          maxPerWorker: r.int(5, 30),
          retry: { baseMs: 50, maxMs: 500 },
        });
      const ids = await enqueueAll(
        url,
        schema,
        Array.from({ length: TASKS }, (_, i) => ({ type: 'a', data: { i, ms: r.int(0, 2) }, postback: 'done' })),
      );
      const fleet = sc.fleet(`${SCENARIO}-round${round}`);
      const names = ['d1', 'd2', 'd3', 'd4'];
      const dirs = new Map(names.map((n) => [n, tmpDir()]));
      const first = names.map((n) => fleet.start(n, dirs.get(n)!, config(n)));
      await Promise.all(first.map((d) => running(d)));

      const answered = async () => (await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE type = 'done'`)).rows[0].n;
      const holds = async (alias: string) => (await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE claimed_by = $1`, [alias])).rows[0].n;
      const victims = [...names].sort(() => r() - 0.5).slice(0, 2);
      const at = [r.int(5, 45), r.int(50, 85)].map((p) => Math.floor((TASKS * p) / 100));
      const plan: string[] = [];
      const restarts: Array<Promise<unknown>> = [];
      for (const [k, name] of victims.entries()) {
        await waitFor(`${at[k]} answers`, async () => (await answered()) >= at[k], 300_000, 20);
        const d = fleet.drones.find((x) => x.name === name && x.alive) as FleetDrone;
        await fleet.kill(d);
        const killedAt = Date.now();
        const restart = r.chance(0.5);
        plan.push(`${name} killed at ${at[k]} answers, ${restart ? 'restarted' : 'left dead'}`);
        if (restart) {
          const delay = r.int(0, 2000);
          restarts.push(sleep(delay).then(() => running(fleet.start(`${name}-again`, dirs.get(name)!, config(name)))));
        } else {
          // Left dead: the others rescue what it held, after the lease.
          restarts.push(
            (async () => {
              const held = await holds(name);
              await waitFor(`the tasks of ${name} to be rescued`, async () => (await holds(name)) === 0, LEASE_MS * 3 + 60_000, 25);
              if (held > 0) fig.rescueMs.push(Date.now() - killedAt);
            })(),
          );
        }
      }
      await Promise.all(restarts);
      const { ok, stopped, a } = await settle(fleet, ids, 300_000);
      console.log(`# ${SCENARIO} round ${round}: ${plan.join('; ')}; ${summary(a)}`);
      assert.ok(ok, 'every task settled');
      assert.ok(
        stopped.every((s) => s.code === 0),
        JSON.stringify(stopped),
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
