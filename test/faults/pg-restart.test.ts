import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sleep, tmpDir, waitFor } from '../helpers/tmp.js';
import type { ApiSocket } from '../helpers/service.js';
import { ROUNDS, scaled, summary } from '../helpers/faults.js';
import { enqueueAll, running } from '../helpers/fleet.js';
import { faultScenario } from '../helpers/scenario.js';
import { ensureEmbedded, stopEmbedded } from '../../core/db/embedded.js';

/**
 * Restart Postgres under load (stop, wait, start) with two drones working. They must notice on
 * their own ("database unreachable" in the log, database.connected=false with the error in the API
 * snapshot while it is down), reconnect, LISTEN again, and lose nothing. The recovery time is from
 * Postgres accepting connections again until every drone says it is connected, LISTENs again and
 * tasks are being answered again.
 *
 * Then the same with Postgres crashing (an immediate shutdown: no checkpoint, its recovery replays
 * the WAL): every commit a drone was told of survives, so again nothing runs twice. And with
 * asyncClaimCommit, whose claims may not survive it: tasks may run twice, but none is lost and
 * none is answered twice (a postback exists only where its task was deleted by its holder).
 *
 * This file runs its own embedded Postgres (own data directory and port): the shared test server
 * is never stopped.
 */
const VARIANTS = [
  { scenario: 'pg-restart', crash: false, asyncClaimCommit: false, title: 'Postgres stopped and started under load (2 drones)' },
  { scenario: 'pg-crash', crash: true, asyncClaimCommit: false, title: 'Postgres crashes (immediate shutdown) under load and is started again (2 drones)' },
  {
    scenario: 'pg-crash-async-claims',
    crash: true,
    asyncClaimCommit: true,
    title: 'the same crash with asyncClaimCommit: claims of its last moment may be lost',
  },
];
const TASKS = scaled(1500, 6000);

for (const [v, { scenario: SCENARIO, crash, asyncClaimCommit, title }] of VARIANTS.entries())
  describe(`faults: ${title}`, () => {
    const home = tmpDir('swarmage-pg-restart-');
    fs.chmodSync(home, 0o755); // as root, Postgres runs as "postgres", which must be able to enter it
    const dataDir = path.join(home, 'pg');
    const port = 56000 + v * 1000 + (process.pid % 1000);
    const sc = faultScenario(SCENARIO, title, {
      database: () => ensureEmbedded({ dataDir, port }),
      cutOnPurpose: true,
      afterAll: async () => {
        await stopEmbedded({ dataDir });
        fs.rmSync(home, { recursive: true, force: true });
      },
    });
    const { fig } = sc;

    const snapshot = (s: ApiSocket) => s.snapshot();

    for (let round = 1; round <= ROUNDS; round++) {
      it(`round ${round}: drones notice, reconnect and LISTEN again on their own; nothing lost`, async () => {
        const { url } = sc;
        const { r, schema, ledger, droneConfig, settle } = sc.round(round);
        // A fresh client each round: the last one was cut with the server (or left so by a failed round).
        await sc.sql.end().catch(() => {});
        sc.sql = await sc.connect();
        const config = (alias: string) =>
          droneConfig({
            alias,
            workers: { a: [ledger(), ledger()] },
            queue: { config: { asyncClaimCommit } },
            pollIntervalMs: 1000,
            leaseMs: 15_000,
            maxPerWorker: r.int(5, 20),
            retry: { baseMs: 50, maxMs: 500 },
          });
        const ids = await enqueueAll(
          url,
          schema,
          Array.from({ length: TASKS }, (_, i) => ({ type: 'a', data: { i, ms: r.int(1, 6) }, postback: 'done' })),
        );
        const fleet = sc.fleet(`${SCENARIO}-round${round}`);
        const drones = ['p1', 'p2'].map((n) => fleet.start(n, tmpDir(), config(n), { args: ['--ui', '127.0.0.1:0'] }));
        await Promise.all(drones.map((d) => running(d)));
        const apis = await Promise.all(drones.map(sc.api));
        const answered = async () => (await sc.sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE type = 'done'`)).rows[0].n;
        const listening = async () =>
          (await sc.sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${schema}_tasks"`])).rows[0].n;
        await waitFor('two LISTEN connections', async () => (await listening()) === 2);
        await waitFor('some progress', async () => (await answered()) >= TASKS * (r.int(5, 40) / 100), 60_000, 20);

        await sc.sql.end().catch(() => {});
        const downFor = r.int(500, 4000);
        const downAt = Date.now();
        await stopEmbedded({ dataDir, mode: crash ? 'immediate' : 'fast' });
        // While it is down, the API says so, with the reason and the next retry.
        for (const s of apis) {
          const snap = await waitFor(
            'the snapshot to say the database is unreachable',
            async () => {
              const sn = await snapshot(s);
              return sn.drone?.database.connected === false && sn.drone.database.lastError ? sn : null;
            },
            30_000,
            50,
          );
          assert.equal(snap.app.state, 'running');
          assert.equal(typeof snap.drone!.database.retryAt, 'number');
          assert.match(snap.drone!.database.lastError!, /ECONN|ENOENT|EPIPE|terminat|Connection|shutting down|no answer from the database/i);
        }
        await sleep(Math.max(0, downAt + downFor - Date.now()));
        await ensureEmbedded({ dataDir, port });
        const upAt = Date.now();
        sc.sql = await sc.connect();
        const before = await answered();
        await waitFor(
          'every drone to be connected, LISTENing and answering again',
          async () => {
            for (const s of apis) if ((await snapshot(s)).drone?.database.connected !== true) return false;
            return (await listening()) === 2 && ((await answered()) > before || (await answered()) === TASKS);
          },
          60_000,
          20,
        );
        const recoveryMs = Date.now() - upAt;
        fig.recoveryMs.push(recoveryMs);

        const { ok, stopped, a } = await settle(fleet, ids, 120_000);
        console.log(`# ${SCENARIO} round ${round}: down ${upAt - downAt} ms, recovered ${recoveryMs} ms after Postgres was back; ${summary(a)}`);
        assert.ok(ok, `not every task settled:\n${drones[0].output().slice(-3000)}`);
        assert.deepEqual(
          stopped.map((s) => s.code),
          [0, 0],
        );
        for (const d of drones) {
          assert.match(d.output(), /database unreachable: /);
          assert.match(d.output(), /database reachable again/);
        }
        assert.deepEqual(a.lost, [], 'lost');
        assert.deepEqual(a.stuck, [], 'stuck');
        assert.deepEqual(a.wrong, [], 'wrong outcomes (a task answered twice among them)');
        assert.equal(a.completedOnce, TASKS);
        // Nobody was killed: Postgres going away, even crashing, never runs a task twice unless the
        // drones' claims were told committed before they were on disk.
        if (!asyncClaimCommit) assert.equal(a.duplicates, 0, 'no task ran twice');
        await sc.sql.query(`DROP SCHEMA "${schema}" CASCADE`);
      });
    }
  });
