import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, tmpDir, waitFor } from '../helpers/tmp.js';
import type { ApiSocket } from '../helpers/service.js';
import { TcpProxy } from '../helpers/proxy.js';
import { ROUNDS, roundRng, scaled, summary } from '../helpers/faults.js';
import { enqueueAll, running, steadyProducer } from '../helpers/fleet.js';
import { assertEveryTaskOnce, faultScenario } from '../helpers/scenario.js';
import type { Snapshot } from '../../core/api/contract.js';

/**
 * Cut the network between the drones and Postgres with a TCP proxy: drop every connection (and
 * refuse new ones for a while), or stall them (nothing forwarded, new connections hang) and resume.
 * Same expectations as a Postgres restart: the drones notice, recover on their own, LISTEN again,
 * nothing is lost and nothing runs twice.
 *
 * Stalls stay under 2/3 of the lease (heartbeats resume before any lease can run out, so no other
 * drone may take tasks that are still running); a stall longer than half the lease must show in the
 * API as a database not answering (a heartbeat unanswered for leaseMs/6 says so), a drop as one unreachable.
 */
const SCENARIO = 'network';
/** Tasks enqueued before the faults; more arrive all along, so that every fault hits drones at work. */
const BACKLOG = scaled(300, 2000);
const LEASE_MS = scaled(6000, 9000);

describe('faults: the network between drones and Postgres drops or stalls', () => {
  const sc = faultScenario(SCENARIO, 'TCP proxy between 2 drones and Postgres drops or stalls every connection, then resumes');
  const { seed, fig } = sc;
  const proxies: TcpProxy[] = [];
  const faults: string[] = [];
  let lostAnswers = 0;
  sc.atEnd(async () => {
    for (const p of proxies) await p.close();
    fig.extra.faults = faults;
    fig.extra.claimsWhoseAnswerWasLost = `given back by the drone ${lostAnswers} time(s)`;
    fig.extra.leaseMs = LEASE_MS;
  });

  const dbState = async (s: ApiSocket) => {
    const res = await s.call('drone.snapshot', {});
    return res.ok ? (res.result as Snapshot).drone?.database.state : undefined;
  };

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: drops and stalls; the drones recover on their own and nothing is lost`, async () => {
      const { url, sql } = sc;
      const { r, schema, ledger, droneConfig, settle } = sc.round(round);
      const proxy = await TcpProxy.forDatabase(url);
      proxies.push(proxy);
      const config = (alias: string) =>
        droneConfig({
          alias,
          workers: { a: [ledger(), ledger()] },
          pollIntervalMs: 500,
          leaseMs: LEASE_MS,
          maxPerWorker: r.int(5, 20),
          retry: { baseMs: 50, maxMs: 500 },
        });
      const rp = roundRng(seed, `${SCENARIO}:producer`, round); // its own sequence: it runs alongside
      const task = () => ({ type: 'a', data: { ms: rp.int(5, 25) }, postback: 'done' });
      const ids = await enqueueAll(url, schema, Array.from({ length: BACKLOG }, task));
      // The producer talks to Postgres directly: only the drones are behind the proxy.
      const producer = steadyProducer(url, schema, task, ids);
      const fleet = sc.fleet(`${SCENARIO}-round${round}`);
      const drones = ['n1', 'n2'].map((n) => fleet.start(n, tmpDir(), config(n), { url: proxy.url(url), args: ['--ui', '127.0.0.1:0'] }));
      await Promise.all(drones.map((d) => running(d)));
      const apis = await Promise.all(drones.map(sc.api));
      const answered = async () => (await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE type = 'done'`)).rows[0].n;
      const listening = async () =>
        (await sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${schema}_tasks"`])).rows[0].n;

      const plan = ['drop', 'stall', ...scaled([], [r.pick(['drop', 'stall'])])].sort(() => r() - 0.5);
      for (const kind of plan) {
        await waitFor('two LISTEN connections', async () => (await listening()) === 2, 30_000);
        await sleep(r.int(100, 800));
        // Long enough to be noticed; short of 2/3 of the lease, so no lease runs out.
        const ms = kind === 'drop' ? r.int(500, 4000) : r.chance(0.5) ? r.int(300, 3000) : r.int(LEASE_MS / 2 + 500, (LEASE_MS * 2) / 3 - 500);
        const noticeExpected = kind === 'drop' || ms > LEASE_MS / 2;
        const faultAt = Date.now();
        if (kind === 'drop') proxy.drop();
        else proxy.stall();
        // What the API said instead of connected: a drop is the database unreachable, a stall it not answering.
        const seen = new Set<string>();
        while (Date.now() - faultAt < ms) {
          for (const s of apis) {
            const state = await dbState(s);
            if (state !== 'connected') seen.add(state ?? 'no snapshot');
          }
          if (seen.size > 0 && !noticeExpected) break;
          await sleep(50);
        }
        await sleep(Math.max(0, faultAt + ms - Date.now()));
        proxy.resume();
        const backAt = Date.now();
        const before = await answered();
        await waitFor(
          'every drone connected, LISTENing and answering again',
          async () => {
            for (const s of apis) if ((await dbState(s)) !== 'connected') return false;
            return (await listening()) === 2 && (await answered()) > before;
          },
          60_000,
          20,
        );
        const recoveryMs = Date.now() - backAt;
        fig.recoveryMs.push(recoveryMs);
        const noticed = seen.size > 0;
        faults.push(`${kind} ${ms} ms${noticed ? `, reported ${[...seen].join(' then ')}` : ''}, recovered in ${recoveryMs} ms`);
        console.log(`# ${SCENARIO} round ${round}: ${faults.at(-1)}`);
        if (noticeExpected) assert.ok(noticed, `the API reports the database's trouble during a ${kind} of ${ms} ms`);
        if (kind === 'stall') assert.ok(!seen.has('unreachable'), `a stall is the database not answering, not unreachable: ${[...seen]}`);
        if (kind === 'drop' && noticed) assert.ok(seen.has('unreachable'), `a drop is the database unreachable: ${[...seen]}`);
      }

      await producer.stop();
      const done = await settle(fleet, ids, 120_000);
      const { a } = done;
      lostAnswers += drones.reduce((n, d) => n + (d.output().match(/claimed by a statement whose answer was lost/g)?.length ?? 0), 0);
      console.log(`# ${SCENARIO} round ${round}: ${summary(a)}`);
      assertEveryTaskOnce(done, ids, drones);
      await sql.query(`DROP SCHEMA "${schema}" CASCADE`);
    });
  }
});
