import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { freshSchema, sqlClient } from '../helpers/db.js';
import { FIXTURES, sleep, tmpDir, waitFor } from '../helpers/tmp.js';
import { ApiSocket } from '../helpers/service.js';
import { Figures, ROUNDS, account, roundRng, runSeed, scaled, summary } from '../helpers/faults.js';
import { Fleet, enqueueAll, running, settled, type FleetDrone } from '../helpers/fleet.js';
import { ensureEmbedded, stopEmbedded } from '../../core/db/embedded.js';
import type { Snapshot } from '../../core/api/contract.js';

/**
 * Restart Postgres under load (stop, wait, start) with two drones working. They must notice on
 * their own ("database unreachable" in the log, database.connected=false with the error in the API
 * snapshot while it is down), reconnect, LISTEN again, and lose nothing. The recovery time is from
 * Postgres accepting connections again until every drone says it is connected, LISTENs again and
 * tasks are being answered again.
 *
 * This file runs its own embedded Postgres (own data directory and port): the shared test server
 * is never stopped.
 */
const SCENARIO = 'pg-restart';
const TASKS = scaled(1500, 6000);

describe('faults: restart Postgres under load', () => {
  const seed = runSeed(SCENARIO);
  const fig = new Figures(SCENARIO, 'Postgres stopped and started under load (2 drones)', seed);
  const fleets: Fleet[] = [];
  const sockets: ApiSocket[] = [];
  const home = tmpDir('swarmage-pg-restart-');
  fs.chmodSync(home, 0o755); // as root, Postgres runs as "postgres", which must be able to enter it
  const dataDir = path.join(home, 'pg');
  const port = 56000 + (process.pid % 3000);
  let url: string;
  let sql: pg.Client;

  const connect = async () => {
    const c = await sqlClient(url);
    c.on('error', () => {}); // it is cut on purpose
    return c;
  };

  before(async () => {
    url = await ensureEmbedded({ dataDir, port });
    sql = await connect();
  });
  after(async () => {
    for (const s of sockets) s.close();
    for (const f of fleets) {
      f.killAll();
      f.saveLogs();
    }
    fig.save();
    await sql.end().catch(() => {});
    await stopEmbedded({ dataDir });
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function api(d: FleetDrone): Promise<ApiSocket> {
    const m = await waitFor('the UI address', () => /operator UI on (http:\/\/\S+)/.exec(d.output()));
    const s = await ApiSocket.open(`${m[1].replace('http', 'ws')}api`);
    sockets.push(s);
    return s;
  }
  const snapshot = async (s: ApiSocket) => {
    const res = await s.call('drone.snapshot', {});
    assert.ok(res.ok, JSON.stringify(res));
    return res.result as Snapshot;
  };

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: drones notice, reconnect and LISTEN again on their own; nothing lost`, async () => {
      const r = roundRng(seed, SCENARIO, round);
      const schema = freshSchema();
      // A fresh client each round: the last one was cut with the server (or left so by a failed round).
      await sql.end().catch(() => {});
      sql = await connect();
      const runs = path.join(tmpDir(), 'runs.txt');
      const ledger = { module: path.join(FIXTURES, 'workers/ledger.js'), config: { file: runs } };
      const config = (alias: string) => ({
        alias, queue: { config: { schema } }, workers: { a: [ledger, ledger] },
        pollIntervalMs: 1000, leaseMs: 15_000, maxPerWorker: r.int(5, 20), retry: { baseMs: 50, maxMs: 500 },
        localQueue: { path: 'local.sqlite' },
      });
      const ids = await enqueueAll(url, schema, Array.from({ length: TASKS }, (_, i) => ({ type: 'a', data: { i, ms: r.int(1, 6) }, postback: 'done' })));
      const fleet = new Fleet(url, `${SCENARIO}-round${round}`);
      fleets.push(fleet);
      const drones = ['p1', 'p2'].map((n) => fleet.start(n, tmpDir(), config(n), { args: ['--ui', '127.0.0.1:0'] }));
      await Promise.all(drones.map((d) => running(d)));
      const apis = await Promise.all(drones.map(api));
      const answered = async () => (await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE type = 'done'`)).rows[0].n;
      const listening = async () => (await sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${schema}_tasks"`])).rows[0].n;
      await waitFor('two LISTEN connections', async () => (await listening()) === 2);
      await waitFor('some progress', async () => (await answered()) >= TASKS * (r.int(5, 40) / 100), 60_000, 20);

      await sql.end().catch(() => {});
      const downFor = r.int(500, 4000);
      const downAt = Date.now();
      await stopEmbedded({ dataDir });
      // While it is down, the API says so, with the reason and the next retry.
      for (const s of apis) {
        const snap = await waitFor('the snapshot to say the database is unreachable', async () => {
          const sn = await snapshot(s);
          return sn.drone?.database.connected === false && sn.drone.database.lastError ? sn : null;
        }, 30_000, 50);
        assert.equal(snap.app.state, 'running');
        assert.equal(typeof snap.drone!.database.retryAt, 'number');
        assert.match(snap.drone!.database.lastError!, /ECONN|terminat|Connection|shutting down|no answer from the database/i);
      }
      await sleep(Math.max(0, downAt + downFor - Date.now()));
      await ensureEmbedded({ dataDir, port });
      const upAt = Date.now();
      sql = await connect();
      const before = await answered();
      await waitFor('every drone to be connected, LISTENing and answering again', async () => {
        for (const s of apis) if ((await snapshot(s)).drone?.database.connected !== true) return false;
        return (await listening()) === 2 && ((await answered()) > before || (await answered()) === TASKS);
      }, 60_000, 20);
      const recoveryMs = Date.now() - upAt;
      fig.recoveryMs.push(recoveryMs);

      const ok = await settled(sql, schema, 'done', 120_000);
      const stopped = await fleet.stopAll();
      const a = await account(sql, schema, ids, { postback: 'done', runsFile: runs, killedPids: fleet.killedPids });
      fig.rounds++;
      fig.add(a);
      console.log(`# ${SCENARIO} round ${round}: down ${upAt - downAt} ms, recovered ${recoveryMs} ms after Postgres was back; ${summary(a)}`);
      assert.ok(ok, `not every task settled:\n${drones[0].output().slice(-3000)}`);
      assert.deepEqual(stopped.map((s) => s.code), [0, 0]);
      for (const d of drones) {
        assert.match(d.output(), /database unreachable: /);
        assert.match(d.output(), /database reachable again/);
      }
      assert.deepEqual(a.lost, [], 'lost');
      assert.deepEqual(a.stuck, [], 'stuck');
      assert.deepEqual(a.wrong, [], 'wrong outcomes');
      // Nobody was killed: Postgres going away alone never runs a task twice.
      assert.equal(a.duplicates, 0, 'no task ran twice');
      assert.equal(a.completedOnce, TASKS);
      await sql.query(`DROP SCHEMA "${schema}" CASCADE`);
    });
  }
});
