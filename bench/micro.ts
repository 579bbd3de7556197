/**
 * Single operations of the drone's hot path, timed alone (docs/performance.md quotes them):
 *   node dist/bench/micro.js claim   one-task claims on an idle queue: their latency as the drone
 *                                    runs them (both statements), named and unnamed (as behind a
 *                                    pooler), and without synchronous_commit
 *   node dist/bench/micro.js local   the local queue per task: buffering a claimed batch, recording
 *                                    the outcomes, acknowledging (with history trimmed)
 *   node dist/bench/micro.js inspect the operator's queries on a table of 1,000,000 tasks with
 *                                    100,000 failed: the Queue view's overview, the fleet, failures
 *                                    by cause and their keyset pages, against a plain count
 *   node dist/bench/micro.js profiles two drones draining at once, in one process (as the desktop
 *                                    app runs its profiles) and as two processes: drain time, and
 *                                    the event-loop delay the app's main thread sees meanwhile
 *   node dist/bench/micro.js fairness three drone processes (two workers each) sharing 30,000
 *                                    tasks of 1 ms: drain time and each drone's share, at the
 *                                    defaults (flow control) and with the old fixed settings
 *   node dist/bench/micro.js gateway  the remote path's cost per task: one drone (one no-op worker)
 *                                    drains 100,000 tasks straight from Postgres, then through
 *                                    `swarmage gateway`; CPU time (/proc) of the drone, its worker,
 *                                    the gateway and Postgres per task, and the drain's wall time
 * Medians; nothing here is part of `npm test`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureEmbedded, stopEmbedded } from '../core/db/embedded.js';
import { PgQueue } from '../core/queue/pg/pgQueue.js';
import { claimTasks } from '../core/queue/pg/claim.js';
import { LocalQueue } from '../core/queue/local/localQueue.js';
import type { ClaimedTask } from '../core/queue/types.js';
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ProfileManager } from '../core/app/profileManager.js';
import { Logger } from '../core/log/logger.js';
import { DroneService } from '../core/service/droneService.js';
import { BIN, FIXTURES } from './env.js';
import { addToken } from '../core/queue/remote/tokens.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function claimLatency(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-micro-'));
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, 'pg');
  const url = await ensureEmbedded({ dataDir, port: 55620 });
  const queue = new PgQueue({ connectionString: url, schema: 'micro', poolSize: 2 });
  const c = new pg.Client({ connectionString: url });
  try {
    await queue.migrate();
    await c.connect();
    // With an acknowledgement to send along, the drone uses its general claim statement (every
    // type at once, deleting what finished); without, for one type, the plain one (see claim.ts).
    // Named: as on a direct connection; unnamed: as behind a pooler in transaction mode (claim.ts).
    const modes: Array<[string, boolean, boolean, string[]]> = [
      ['as the drone runs it (named)', true, false, []],
      ['the general statement, with an acknowledgement (named)', true, false, ['1']],
      ['unnamed, as behind a pooler in transaction mode', false, false, []],
      ['unnamed, with an acknowledgement', false, false, ['1']],
      ['named, synchronous_commit off (asyncClaimCommit)', true, true, []],
    ];
    for (const [label, named, asyncCommit, acks] of modes) {
      const claim: number[] = [];
      const roundTrip: number[] = [];
      for (let i = 0; i < 100; i++) {
        await queue.enqueue([{ type: 'noop', data: { i } }]);
        let t = performance.now();
        await claimTasks(c, 'micro', 'micro-drone', [{ type: 'noop', limit: 16 }], 30_000, acks, asyncCommit, named);
        claim.push(performance.now() - t);
        t = performance.now();
        await c.query('SELECT 1');
        roundTrip.push(performance.now() - t);
        await c.query('DELETE FROM micro.tasks');
      }
      console.log(`${label}: claim of one task ${median(claim).toFixed(3)} ms, SELECT 1 ${median(roundTrip).toFixed(3)} ms (medians of 100)`);
    }
  } finally {
    await c.end().catch(() => {});
    await queue.close();
    await stopEmbedded({ dataDir });
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function localQueueCost(): void {
  const N = 200_000;
  const BATCH = 250;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-micro-'));
  const q = new LocalQueue(path.join(dir, 'local.sqlite'));
  const spent = { buffer: 0, record: 0, ack: 0 };
  try {
    for (let i = 0; i < N; i += BATCH) {
      const claimed: ClaimedTask[] = [];
      for (let j = i; j < i + BATCH; j++) {
        claimed.push({
          id: String(1_000_000 + j),
          type: 'noop',
          dataJson: `{"n":${j}}`,
          postback: null,
          attempt: 1,
          maxAttempts: 5,
          priority: 0,
          createdAt: Date.now(),
          replayOf: null,
        });
      }
      let t = performance.now();
      const steps = q.insertClaimed(claimed);
      spent.buffer += performance.now() - t;
      t = performance.now();
      // As the drone records them: in the batches results arrive in (about 25 at a time here).
      const finished = [];
      for (let k = 0; k < steps.length; k += 25) {
        finished.push(...q.record(steps.slice(k, k + 25).map((step) => ({ kind: 'done' as const, step, resultJson: 'null', startedAt: Date.now() }))).finished);
      }
      spent.record += performance.now() - t;
      t = performance.now();
      q.ack(finished, 100_000);
      spent.ack += performance.now() - t;
    }
  } finally {
    q.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const us = (ms: number) => ((ms * 1000) / N).toFixed(2);
  console.log(
    `local queue, per task over ${N} tasks in batches of ${BATCH}: buffer ${us(spent.buffer)} µs, record the outcome ${us(spent.record)} µs, acknowledge (history trimmed to 100,000) ${us(spent.ack)} µs`,
  );
}

/** Median of `rounds` runs of `fn` (after one to warm up), in ms. */
async function timed(rounds: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function inspectCost(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-micro-'));
  fs.chmodSync(root, 0o755);
  const url = await ensureEmbedded({ dataDir: path.join(root, 'pg'), port: 55620 });
  const q = new PgQueue({ connectionString: url, schema: 'inspect' });
  const c = new pg.Client({ connectionString: url });
  const TYPES = 20;
  try {
    await q.migrate();
    await c.connect();
    // 1,000,000 tasks over 20 types: 100,000 failed through the real fail path (3 messages thrown from
    // 3 places: 9 causes), 45,000 scheduled, 2,000 held by 4 drones, the rest due in 3 priorities.
    const t0 = performance.now();
    await c.query(`INSERT INTO inspect.tasks (type, data, priority, run_at)
      SELECT 'type' || (i % ${TYPES}), jsonb_build_object('i', i), (i % 3) - 1,
        CASE WHEN i % 20 = 7 THEN now() + interval '1 hour' ELSE now() - (i || ' ms')::interval END
      FROM generate_series(1, 900000) i`);
    await c.query(`INSERT INTO inspect.tasks (type, data, max_attempts) SELECT 'poison' || (i % 4), '{}', 1 FROM generate_series(1, 100000) i`);
    for (let n = 0; n < 100; n++) {
      const got = await q.claim(
        'failer',
        [0, 1, 2, 3].map((k) => ({ type: `poison${k}`, limit: 250 })),
        60_000,
      );
      await q.fail(
        'failer',
        got.map((t, i) => ({
          id: t.id,
          error: i % 5 === 0 ? `user ${t.id} not found` : i % 5 === 1 ? `timeout after ${i} ms` : `bad input at field ${i % 7}: "${t.id}"`,
          stack: `Error: x\n    at step${i % 3} (/srv/app/workers/w.js:${i}:1)`,
          retryInMs: 0,
        })),
      );
    }
    for (let d = 0; d < 4; d++) {
      await q.heartbeat(
        { id: `drone-${d}`, host: 'h', pid: d, taskTypes: Array.from({ length: TYPES - 2 }, (_, k) => `type${k}`), startedAt: new Date() },
        60_000,
      );
      await q.claim(
        `drone-${d}`,
        Array.from({ length: 5 }, (_, k) => ({ type: `type${(d * 5 + k) % TYPES}`, limit: 100 })),
        60_000,
      );
    }
    const total = (await c.query('SELECT count(*)::int AS n FROM inspect.tasks')).rows[0].n;
    console.log(`filled ${total} tasks in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const groups = await q.failureGroups({});
    const big = groups[0];
    const middle = (await q.listFailed({ group: big.group, limit: 1000 })).at(-1)!.id;
    const plainCount = `SELECT type, count(*) FILTER (WHERE state = 'available' AND run_at <= now()), count(*) FILTER (WHERE state = 'available' AND run_at > now()),
      count(*) FILTER (WHERE state = 'claimed'), count(*) FILTER (WHERE state = 'failed') FROM inspect.tasks GROUP BY type`;
    for (const when of ['as filled (not vacuumed)', 'after VACUUM ANALYZE']) {
      if (when.startsWith('after')) await c.query('VACUUM ANALYZE inspect.tasks');
      const rows: Array<[string, number]> = [
        ['overview: every type, counts capped at 10,000', await timed(7, () => q.overview(10_000))],
        ['fleet: drones and what they hold', await timed(7, () => q.fleet())],
        [`failures by cause: ${groups.length} groups of 100,000 failed`, await timed(7, () => q.failureGroups({}))],
        ['  … of one type', await timed(7, () => q.failureGroups({ types: ['poison1'] }))],
        [`a group's tasks: a page of 100 after 1,000 (keyset)`, await timed(7, () => q.listFailed({ group: big.group, afterId: middle, limit: 100 }))],
        [
          'browse a type: a page of 50 after the first page',
          await timed(7, async () => {
            const first = await q.browse({ state: 'available', type: 'type3', limit: 50 });
            return q.browse({ state: 'available', type: 'type3', after: first.next!, limit: 50 });
          }),
        ],
        ['exact counts of one type (queue.count)', await timed(5, () => q.countType('type3'))],
        ['for comparison: a plain count by type and state (the old status)', await timed(5, () => c.query(plainCount))],
      ];
      console.log(`\n${when}: median of 7 (5 for the counts), ms`);
      for (const [label, ms] of rows) console.log(`  ${label.padEnd(72)} ${ms.toFixed(1)}`);
    }
  } finally {
    await c.end().catch(() => {});
    await q.close();
    await stopEmbedded({ dataDir: path.join(root, 'pg') }).catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Two profiles, 20,000 no-op tasks each: in the app's process, or as two `swarmage drone` processes. */
async function profilesCost(): Promise<void> {
  const N = 20_000;
  const ROUNDS = Number(process.env.ROUNDS ?? 3);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-micro-'));
  fs.chmodSync(root, 0o755);
  const url = await ensureEmbedded({ dataDir: path.join(root, 'pg'), port: 55620 });
  const q = new PgQueue({ connectionString: url, schema: 'prof', poolSize: 2 });
  const c = new pg.Client({ connectionString: url });
  const configs = ['a', 'b'].map((type) => {
    const dir = path.join(root, type);
    fs.mkdirSync(dir);
    const file = path.join(dir, 'swarmage.config.json');
    const config = { queue: { config: { connectionString: url, schema: 'prof' } }, workers: { [type]: { module: path.join(FIXTURES, 'noop.js') } } };
    fs.writeFileSync(file, JSON.stringify(config));
    return file;
  });
  const drain = async () => {
    await q.enqueue([...Array.from({ length: N }, () => ({ type: 'a' })), ...Array.from({ length: N }, () => ({ type: 'b' }))]);
    const t = performance.now();
    while (Number((await c.query('SELECT count(*) AS n FROM prof.tasks')).rows[0].n) > 0) await new Promise((r) => setTimeout(r, 20));
    return performance.now() - t;
  };
  const inProcess = async () => {
    // The app's manager, with its event stream to one UI, over the two drones.
    const services = configs.map((f) => new DroneService({ configFile: f, logLevel: 'error' }));
    const m = new ProfileManager({ log: new Logger('error', []), store: null, createLocal: () => services[0] });
    services.forEach((s, i) => m.adopt(configs[i], s));
    let events = 0;
    m.on('event', () => events++);
    await Promise.all(services.map((s) => s.start()));
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const ms = await drain();
    h.disable();
    await Promise.all(services.map((s) => s.stop()));
    if (events === 0) throw new Error('no events reached the UI side');
    return { ms, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
  };
  const processes = async () => {
    const kids = configs.map((f) => spawn(process.execPath, [BIN, 'drone', '--config', f, '--log-level', 'warn'], { stdio: 'ignore' }));
    while (
      Number(
        (await c.query(`SELECT count(*) AS n FROM prof.drones WHERE heartbeat_at > now() - interval '5 s'`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n,
      ) < 2
    )
      await new Promise((r) => setTimeout(r, 50));
    const ms = await drain();
    await Promise.all(kids.map((k) => new Promise((r) => (k.once('exit', r), k.kill('SIGTERM')))));
    return { ms };
  };
  try {
    await q.migrate();
    await c.connect();
    const rows: Array<{ one: number; two: number; p99: number; max: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const one = await inProcess();
      const two = await processes();
      await c.query('DELETE FROM prof.drones');
      rows.push({ one: one.ms, two: two.ms, p99: one.p99, max: one.max });
      console.log(
        `round ${r + 1}: one process ${one.ms.toFixed(0)} ms, two processes ${two.ms.toFixed(0)} ms (${(one.ms / two.ms).toFixed(2)}x); main-thread delay p99 ${one.p99.toFixed(1)} ms, max ${one.max.toFixed(1)} ms`,
      );
    }
    const med = (k: keyof (typeof rows)[number]) => median(rows.map((x) => x[k]));
    console.log(
      `\nmedians of ${ROUNDS}, ${2 * N} tasks: one process ${med('one').toFixed(0)} ms, two processes ${med('two').toFixed(0)} ms, ratio ${median(rows.map((x) => x.one / x.two)).toFixed(2)}x; event-loop delay in the app's process p99 ${med('p99').toFixed(1)} ms, max ${med('max').toFixed(1)} ms`,
    );
  } finally {
    await c.end().catch(() => {});
    await q.close();
    await stopEmbedded({ dataDir: path.join(root, 'pg') }).catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Issue 19's fairness scenario, timed: three `swarmage drone` processes with two workers each
 * share 30,000 tasks of about 1 ms (test/fixtures/workers/ledger.js, which records the drone's pid),
 * at the defaults and with the fixed settings the defaults used to be, rounds alternating.
 */
async function fairnessCost(): Promise<void> {
  const ROUNDS = Number(process.env.ROUNDS ?? 3);
  const N = 30_000;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-micro-'));
  fs.chmodSync(root, 0o755);
  const url = await ensureEmbedded({ dataDir: path.join(root, 'pg'), port: 55622 });
  const ledger = path.resolve(FIXTURES, '../../test/fixtures/workers/ledger.js');
  const once = async (fixed: boolean, round: number) => {
    const schema = `fair_${round}_${fixed ? 'fixed' : 'auto'}`;
    const file = path.join(root, `${schema}.txt`);
    const worker = { module: ledger, config: { file }, ...(fixed ? { prefetch: 8 } : {}) };
    const kids = [0, 1, 2].map((i) => {
      const config = path.join(root, `${schema}-${i}.json`);
      fs.writeFileSync(
        config,
        JSON.stringify({
          queue: { config: { connectionString: url, schema } },
          workers: { job: [worker, worker] },
          localQueue: { path: path.join(root, `${schema}-${i}.sqlite`) },
          ...(fixed ? { maxPerWorker: 15 } : {}),
        }),
      );
      return spawn(process.execPath, [BIN, 'drone', '--config', config, '--log-level', 'warn'], { stdio: 'ignore' });
    });
    const q = new PgQueue({ connectionString: url, schema, poolSize: 2 });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      for (;;) {
        const n = await c.query(`SELECT count(*)::int AS n FROM "${schema}".drones`).catch(() => ({ rows: [{ n: 0 }] }));
        if (n.rows[0].n >= 3) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await q.enqueue(Array.from({ length: N }, (_, i) => ({ type: 'job', data: { ms: 1, i } })));
      const t = performance.now();
      const lines = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
      while (lines().length < N) await new Promise((r) => setTimeout(r, 100));
      const ms = performance.now() - t;
      const by = new Map<string, number>();
      for (const l of lines()) by.set(l.split(' ')[1], (by.get(l.split(' ')[1]) ?? 0) + 1);
      return { ms, shares: [...by.values()].map((n) => n / N) };
    } finally {
      await Promise.all(kids.map((k) => new Promise((r) => (k.once('exit', r), k.kill('SIGTERM')))));
      await c.end();
      await q.close();
    }
  };
  try {
    const rows: Array<{ auto: number; fixed: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const auto = await once(false, r);
      const fixed = await once(true, r);
      rows.push({ auto: auto.ms, fixed: fixed.ms });
      const pct = (xs: number[]) => xs.map((x) => `${(100 * x).toFixed(1)} %`).join(' / ');
      console.log(
        `round ${r + 1}: defaults ${(auto.ms / 1000).toFixed(2)} s (${pct(auto.shares)}), fixed ${(fixed.ms / 1000).toFixed(2)} s (${pct(fixed.shares)})`,
      );
    }
    console.log(
      `\nmedians of ${ROUNDS}: defaults ${(median(rows.map((x) => x.auto)) / 1000).toFixed(2)} s, fixed ${(median(rows.map((x) => x.fixed)) / 1000).toFixed(2)} s, ratio ${median(rows.map((x) => x.auto / x.fixed)).toFixed(2)}x`,
    );
  } finally {
    await stopEmbedded({ dataDir: path.join(root, 'pg') }).catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** utime + stime of a process and its children that were waited for, in ms (/proc/PID/stat). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": state is field 3, so utime (14) is index 11, stime 12, cutime 13, cstime 14.
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return (ticks * 1000) / 100;
}

/** CPU of every process of a Postgres server (postmaster and backends), in ms. */
function postgresCpuMs(dataDir: string): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const parent = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1];
      const isServer = cmd.includes(dataDir);
      const isBackend = !isServer && fs.readFileSync(`/proc/${parent}/cmdline`, 'utf8').includes(dataDir);
      if (isServer || isBackend) total += cpuMs(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function gatewayCost(): Promise<void> {
  const ROUNDS = Number(process.env.ROUNDS ?? 3);
  const N = Number(process.env.N ?? 100_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-micro-'));
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, 'pg');
  const url = await ensureEmbedded({ dataDir, port: 55623 });
  const tokens = path.join(root, 'tokens.json');
  const token = addToken(tokens, { name: 'micro', claim: ['job'], enqueue: [], inspect: false });
  const noop = path.join(FIXTURES, 'noop.js');
  const once = async (remote: boolean, round: number) => {
    const schema = `gw_${round}_${remote ? 'remote' : 'direct'}`;
    const q = new PgQueue({ connectionString: url, schema, poolSize: 2 });
    await q.migrate();
    let gateway: ReturnType<typeof spawn> | null = null;
    let gatewayUrl = '';
    if (remote) {
      const cfg = path.join(root, `${schema}-gw.json`);
      fs.writeFileSync(cfg, JSON.stringify({ queue: { config: { connectionString: url, schema } }, workers: {} }));
      gateway = spawn(process.execPath, [BIN, 'gateway', '--config', cfg, '--tokens', tokens, '--listen', '127.0.0.1:0'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let out = '';
      gatewayUrl = await new Promise<string>((resolve) =>
        gateway!.stderr!.on('data', (d) => {
          out += d;
          const m = /gateway on (ws:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        }),
      );
    }
    const config = path.join(root, `${schema}.json`);
    fs.writeFileSync(
      config,
      JSON.stringify({
        queue: remote ? { module: 'remote', config: { url: gatewayUrl } } : { config: { connectionString: url, schema } },
        workers: { job: { module: noop, config: { dir: root } } },
        localQueue: { path: path.join(root, `${schema}.sqlite`) },
      }),
    );
    const drone = spawn(process.execPath, [BIN, 'drone', '--config', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SWARMAGE_GATEWAY_TOKEN: token },
    });
    let out = '';
    await new Promise<void>((resolve) =>
      drone.stderr!.on('data', (d) => {
        out += d;
        if (/drone \S+ running on/.test(out)) resolve();
      }),
    );
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const workerPid = () => {
        const kids = fs.readFileSync(`/proc/${drone.pid}/task/${drone.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
        return kids[0];
      };
      const worker = workerPid();
      const before = { drone: cpuMs(drone.pid!), worker: cpuMs(worker), gateway: gateway ? cpuMs(gateway.pid!) : 0, pg: postgresCpuMs(dataDir) };
      await q.enqueue(Array.from({ length: N }, (_, i) => ({ type: 'job', data: { i } })));
      const t = performance.now();
      for (;;) {
        const n = (await c.query(`SELECT count(*)::int AS n FROM "${schema}".tasks`)).rows[0].n;
        if (n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const ms = performance.now() - t;
      const per = (a: number, b: number) => ((a - b) * 1000) / N; // µs a task
      return {
        ms,
        drone: per(cpuMs(drone.pid!), before.drone),
        worker: per(cpuMs(worker), before.worker),
        gateway: gateway ? per(cpuMs(gateway.pid!), before.gateway) : 0,
        pg: per(postgresCpuMs(dataDir), before.pg),
      };
    } finally {
      await new Promise((r) => (drone.once('exit', r), drone.kill('SIGTERM')));
      if (gateway) await new Promise((r) => (gateway!.once('exit', r), gateway!.kill('SIGTERM')));
      await c.end();
      await q.close();
    }
  };
  try {
    type Row = Awaited<ReturnType<typeof once>>;
    const rows: Array<{ direct: Row; remote: Row }> = [];
    const line = (r: Row) =>
      `${((N / r.ms) * 1000).toFixed(0)} jobs/s; CPU µs a task: drone ${r.drone.toFixed(1)}, worker ${r.worker.toFixed(1)}, gateway ${r.gateway.toFixed(1)}, Postgres ${r.pg.toFixed(1)}`;
    for (let r = 0; r < ROUNDS; r++) {
      const direct = await once(false, r);
      const remote = await once(true, r);
      rows.push({ direct, remote });
      console.log(`round ${r + 1}:\n  direct:  ${line(direct)}\n  gateway: ${line(remote)}`);
    }
    const m = (f: (x: { direct: Row; remote: Row }) => number) => median(rows.map(f));
    console.log(
      `\nmedians of ${ROUNDS} (N=${N}): drain through the gateway ${m((x) => x.direct.ms / x.remote.ms).toFixed(2)}x the direct one's speed; ` +
        `CPU µs a task, direct → gateway: drone ${m((x) => x.direct.drone).toFixed(1)} → ${m((x) => x.remote.drone).toFixed(1)}, ` +
        `worker ${m((x) => x.direct.worker).toFixed(1)} → ${m((x) => x.remote.worker).toFixed(1)}, gateway ${m((x) => x.remote.gateway).toFixed(1)}, ` +
        `Postgres ${m((x) => x.direct.pg).toFixed(1)} → ${m((x) => x.remote.pg).toFixed(1)}`,
    );
  } finally {
    await stopEmbedded({ dataDir }).catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const what = process.argv[2];
if (what === 'claim') await claimLatency();
else if (what === 'local') localQueueCost();
else if (what === 'inspect') await inspectCost();
else if (what === 'profiles') await profilesCost();
else if (what === 'fairness') await fairnessCost();
else if (what === 'gateway') await gatewayCost();
else {
  console.error('usage: node dist/bench/micro.js claim|local|inspect|profiles|fairness|gateway');
  process.exitCode = 2;
}
