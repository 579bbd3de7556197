import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type pg from 'pg';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { FIXTURES, sleep, tmpDir, waitFor } from '../helpers/tmp.js';
import { Figures, ROUNDS, account, roundRng, runSeed, scaled, summary } from '../helpers/faults.js';
import { Fleet, enqueueAll, running, settled } from '../helpers/fleet.js';

/**
 * SIGKILL a drone and never restart it: the other drone takes its tasks once their lease has run
 * out. The time from the kill until the dead drone holds nothing is the rescue time; it is bounded
 * by the lease (leaseMs, plus the heartbeat and rescue intervals that derive from it).
 */
const SCENARIO = 'rescue';
const LEASE_MS = 4000;
const TASKS = scaled(300, 2000);

describe("faults: a killed drone is never restarted; a second drone finishes its work after the lease", () => {
  const seed = runSeed(SCENARIO);
  const fig = new Figures(SCENARIO, "SIGKILL a drone, never restart it: a second drone rescues its tasks after the lease", seed);
  const fleets: Fleet[] = [];
  let url: string;
  let sql: pg.Client;

  before(async () => {
    url = await testDatabaseUrl();
    sql = await sqlClient(url);
  });
  after(async () => {
    for (const f of fleets) {
      f.killAll();
      f.saveLogs();
    }
    fig.extra.leaseMs = LEASE_MS;
    fig.save();
    await sql.end();
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: the survivor rescues the dead drone's tasks and every task is accounted for`, async () => {
      const r = roundRng(seed, SCENARIO, round);
      const schema = freshSchema();
      const runs = path.join(tmpDir(), 'runs.txt');
      const ledger = { module: path.join(FIXTURES, 'workers/ledger.js'), config: { file: runs } };
      const config = (alias: string) => ({
        alias, queue: { config: { schema } }, workers: { a: [ledger, ledger] },
        pollIntervalMs: 200, leaseMs: LEASE_MS, maxPerWorker: r.int(5, 20), localQueue: { path: 'local.sqlite' },
      });
      const ids = await enqueueAll(url, schema, Array.from({ length: TASKS }, (_, i) => ({ type: 'a', data: { i, ms: r.int(5, 40) }, postback: 'done' })));
      const fleet = new Fleet(url, `${SCENARIO}-round${round}`);
      fleets.push(fleet);
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
      const ok = await settled(sql, schema, 'done', 120_000);
      const stopped = await fleet.stopAll();
      const a = await account(sql, schema, ids, { postback: 'done', runsFile: runs, killedPids: fleet.killedPids });
      fig.rounds++;
      fig.kills += fleet.kills;
      fig.add(a);
      console.log(`# ${SCENARIO} round ${round}: victim held ${held} task(s), rescued after ${rescueMs} ms; ${summary(a)}`);
      assert.ok(ok, `not every task settled:\n${survivor.output().slice(-3000)}`);
      assert.deepEqual(stopped.map((s) => s.code), [0]);
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
