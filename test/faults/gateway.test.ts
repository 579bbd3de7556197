import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sleep, tmpDir, waitFor } from '../helpers/tmp.js';
import { TcpProxy } from '../helpers/proxy.js';
import { ROUNDS, roundRng, scaled, summary } from '../helpers/faults.js';
import { enqueueAll, running, steadyProducer } from '../helpers/fleet.js';
import { assertEveryTaskOnce, faultScenario } from '../helpers/scenario.js';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway.js';
import { addToken } from '../../core/queue/remote/tokens.js';

/**
 * Drones without database access (queue.module "remote") under faults of their own path: the
 * gateway killed outright and restarted under load, and the link between a drone and the gateway
 * dropped or stalled (a TCP proxy in front of the gateway for one drone; the other connects
 * straight). Nothing may be lost or left stuck, and with no drone killed nothing may run twice: a
 * call whose answer was lost is sent again, and every operation is safe to repeat.
 *
 * The gateway is down, and a stall lasts, well under the lease, as in the network scenario: past
 * it other drones may rightly take tasks that are still running.
 */
const SCENARIO = 'gateway';
const BACKLOG = scaled(300, 2000);
const LEASE_MS = scaled(10_000, 12_000);
/** A drone with no database: had it tried to use one, it would have failed. */
const NO_DATABASE = 'postgres://nobody@127.0.0.1:1/none';

describe('faults: the gateway killed, the link to it dropped or stalled', () => {
  const sc = faultScenario(SCENARIO, 'drones through a gateway: the gateway SIGKILLed and restarted, the drone-gateway link dropped or stalled');
  const { seed, fig } = sc;
  const proxies: TcpProxy[] = [];
  const gateways: GatewayProcess[] = [];
  const faults: string[] = [];
  sc.atEnd(async () => {
    for (const p of proxies) await p.close();
    for (const g of gateways) g.proc.kill('SIGKILL');
    fig.extra.faults = faults;
    fig.extra.leaseMs = LEASE_MS;
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: the gateway killed and restarted, a link dropped and stalled; nothing lost, nothing run twice`, async () => {
      const { url, sql } = sc;
      const { r, schema, dir, runs, ledger, droneConfig, settle } = sc.round(round);
      const tokens = path.join(dir, 'gateway-tokens.json');
      const token = addToken(tokens, { name: 'fleet', claim: ['a'], enqueue: [], inspect: false });
      let gw = await spawnGateway(url, schema, tokens);
      gateways.push(gw);
      const proxy = await TcpProxy.start({ host: '127.0.0.1', port: gw.port });
      proxies.push(proxy);
      const config = (alias: string, via: string) => ({
        ...droneConfig({
          alias,
          workers: { a: [ledger(), ledger()] },
          pollIntervalMs: 500,
          leaseMs: LEASE_MS,
          maxPerWorker: r.int(5, 20),
          retry: { baseMs: 50, maxMs: 500 },
        }),
        queue: { module: 'remote', config: { url: via } },
      });
      const rp = roundRng(seed, `${SCENARIO}:producer`, round);
      const task = () => ({ type: 'a', data: { ms: rp.int(5, 25) }, postback: 'done' });
      const ids = await enqueueAll(url, schema, Array.from({ length: BACKLOG }, task));
      const producer = steadyProducer(url, schema, task, ids);
      const fleet = sc.fleet(`${SCENARIO}-round${round}`);
      const env = { SWARMAGE_GATEWAY_TOKEN: token, SWARMAGE_DATABASE_URL: NO_DATABASE };
      const drones = [
        fleet.start('proxied', tmpDir(), config('proxied', `ws://127.0.0.1:${proxy.port}`), { env }),
        fleet.start('direct', tmpDir(), config('direct', gw.url), { env }),
      ];
      await Promise.all(drones.map((d) => running(d)));
      // Runs finished by the drone behind the proxy (the ledger's lines are "taskId dronePid workerPid").
      const ranByProxied = () =>
        fs.existsSync(runs)
          ? fs
              .readFileSync(runs, 'utf8')
              .split('\n')
              .filter((l) => l.split(' ')[1] === String(drones[0].pid)).length
          : 0;
      const answered = async () => (await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE type = 'done'`)).rows[0].n;

      const plan = ['kill gateway', 'drop', 'stall', ...scaled([], [r.pick(['kill gateway', 'drop', 'stall'])])].sort(() => r() - 0.5);
      for (const kind of plan) {
        await sleep(r.int(300, 1500));
        const ms = kind === 'kill gateway' ? r.int(100, 1500) : r.int(500, Math.floor((LEASE_MS * 2) / 5));
        const faultAt = Date.now();
        const linkLosses = () => drones[0].output().match(/database (unreachable|not answering)/g)?.length ?? 0;
        const lossesBefore = linkLosses();
        if (kind === 'kill gateway') {
          gw.proc.kill('SIGKILL');
          await gw.exited;
          await sleep(ms);
          gw = await spawnGateway(url, schema, tokens, gw.port);
          gateways.push(gw);
        } else {
          if (kind === 'drop') proxy.drop();
          else proxy.stall();
          await sleep(ms);
          proxy.resume();
        }
        const downMs = Date.now() - faultAt;
        const backAt = Date.now();
        // After a gateway restart every drone's work is answered again; after a link fault, the proxied drone's.
        const [before, ranBefore] = [await answered(), ranByProxied()];
        await waitFor('work again', async () => (kind === 'kill gateway' ? (await answered()) > before : ranByProxied() > ranBefore), 60_000, 20);
        const recoveryMs = Date.now() - backAt;
        fig.recoveryMs.push(recoveryMs);
        // A drop and a gateway kill end the link at once; a stall only once two pings go unanswered.
        const cut = linkLosses() > lossesBefore ? ', the proxied drone reported it' : '';
        faults.push(`${kind}: ${downMs} ms${cut}, answering again ${recoveryMs} ms later`);
        console.log(`# ${SCENARIO} round ${round}: ${faults.at(-1)}`);
      }

      await producer.stop();
      const done = await settle(fleet, ids, 120_000);
      const { a } = done;
      console.log(`# ${SCENARIO} round ${round}: ${summary(a)}`);
      assertEveryTaskOnce(done, ids, drones);
      for (const d of drones) assert.doesNotMatch(d.output(), /127\.0\.0\.1:1\/none/, `${d.name} never used a database`);
      gw.proc.kill('SIGTERM');
      await gw.exited;
      await sql.query(`DROP SCHEMA "${schema}" CASCADE`);
    });
  }
});
