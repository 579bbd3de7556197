import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WorkerPool } from '../../core/workers/pool.js';
import type { ChildResult } from '../../core/workers/protocol.js';
import type { Step } from '../../core/queue/local/types.js';
import { Logger, LogRing } from '../../core/log/logger.js';
import type { ResolvedWorker } from '../../core/config/load.js';
import { FIXTURES, sleep, tmpDir, waitFor } from '../helpers/tmp.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const spec = (): ResolvedWorker => ({
  module: 'echo.js',
  modulePath: path.join(FIXTURES, 'workers/echo.js'),
  where: 'workers.echo',
  config: {},
  timeoutMs: 30_000,
  concurrency: 1,
  prefetch: 8,
  batchResults: false,
});

describe('worker pool', () => {
  const pools: WorkerPool[] = [];
  after(async () => {
    for (const p of pools) await p.stop(0);
  });

  it('an instance told to stop while its "ready" is on the way stays stopped: no respawn, no process left', async () => {
    const ring = new LogRing();
    const pool = new WorkerPool({ echo: [spec()] }, new Logger('debug', [ring]));
    pools.push(pool);
    await pool.start();
    const first = pool.instances()[0];
    assert.equal(first.state, 'idle');
    // A crash makes the pool respawn the instance shortly after.
    process.kill(first.pid!, 'SIGKILL');
    await waitFor('the respawn', () => pool.instances()[0].state === 'restarting' || pool.instances()[0].state === 'starting');
    const respawned = pool.instances()[0].pid!;
    // Hold the event loop while the new process loads and sends "ready", so that the stop below
    // crosses that message: the pool sees "stop" first, "ready" after.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      /* busy on purpose */
    }
    const stopped = pool.stop(5000);
    await stopped;
    await sleep(1500); // longer than a respawn delay
    const info = pool.instances()[0];
    assert.equal(info.state, 'stopped');
    assert.equal(info.pid, null);
    assert.equal(alive(respawned), false, 'the respawned process exited');
    assert.equal(info.restarts, 1, 'no respawn after the stop');
  });

  /**
   * Runs tasks 0..n-1 of kill-or-record.js (modes by index) through one instance the way the drone
   * does (requeued steps go back to the front), until every task has its one result.
   */
  async function runAll(batchResults: boolean, n: number, modes: Record<number, 'kill' | 'exit'>) {
    const file = path.join(tmpDir(), 'runs.txt');
    const ring = new LogRing();
    const worker: ResolvedWorker = {
      ...spec(),
      module: 'kill-or-record.js',
      modulePath: path.join(FIXTURES, 'workers/kill-or-record.js'),
      where: 'workers.k',
      config: { file },
      prefetch: n,
      batchResults,
    };
    const pool = new WorkerPool({ k: [worker] }, new Logger('debug', [ring]));
    pools.push(pool);
    const pending: Step[] = [];
    const results = new Map<number, ChildResult[]>();
    pool.on('results', (rs) => {
      for (const r of rs) results.set(r.step.id, [...(results.get(r.step.id) ?? []), r.result]);
    });
    pool.on('requeue', (steps) => {
      pending.unshift(...steps);
      pool.fill('k', pending);
    });
    pool.on('ready', () => pool.fill('k', pending));
    await pool.start();
    for (let i = 0; i < n; i++) {
      pending.push({
        id: i + 1,
        rootId: String(1000 + i),
        parentId: null,
        chain: [],
        type: 'k',
        dataJson: JSON.stringify({ i, mode: modes[i] ?? 'ok' }),
        postback: null,
        attempt: 1,
        maxAttempts: 3,
        createdAt: Date.now(),
        queuedAt: Date.now(),
      });
    }
    // One message: the child runs the whole batch in one turn of its event loop.
    pool.fill('k', pending);
    await waitFor('every task answered', () => results.size === n || undefined, 60_000);
    await pool.stop(5000);
    const runs = new Map<number, number>();
    for (const line of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
    const warnings = ring
      .recent()
      .filter((l) => l.level === 'warn')
      .map((l) => l.msg);
    return { results, runs, warnings };
  }

  for (const batchResults of [false, true]) {
    it(`a worker killed outright (SIGKILL) in the middle of a batch: the task that did it is charged, every other task answers once${batchResults ? ' (batchResults: some run twice)' : ', and runs once'}`, async () => {
      const n = 30;
      const { results, runs, warnings } = await runAll(batchResults, n, { 12: 'kill' });
      for (let i = 0; i < n; i++) {
        const rs = results.get(i + 1)!;
        assert.equal(rs.length, 1, `task ${i}: one result`);
        if (i === 12) {
          assert.equal(rs[0].ok, false);
          assert.match((rs[0] as { error: string }).error, /exited \(signal SIGKILL\) while running this task/);
          assert.equal(runs.get(i), undefined);
        } else {
          assert.equal(rs[0].ok, true, `task ${i}: ${JSON.stringify(rs[0])}`);
          assert.ok((runs.get(i) ?? 0) >= 1, `task ${i} ran`);
        }
      }
      const twice = [...runs].filter(([, k]) => k > 1).map(([i]) => i);
      if (!batchResults) {
        assert.deepEqual(twice, [], 'without batchResults no task runs twice');
      } else {
        // The tasks before the killer finished in the same turn, unreported: they ran again (alone);
        // those after it had not started, and ran once.
        assert.deepEqual(
          twice,
          Array.from({ length: 12 }, (_, i) => i),
        );
        assert.ok(
          warnings.some((w) => /30 task\(s\) it held may have run/.test(w)),
          warnings.join('\n'),
        );
      }
    });
  }

  it('batchResults: a worker that ends itself (process.exit) reports what it finished first, so nothing runs twice', async () => {
    const { results, runs } = await runAll(true, 20, { 7: 'exit' });
    assert.match((results.get(8)![0] as { error: string }).error, /exited \(code 3\) while running this task/);
    for (let i = 0; i < 20; i++) if (i !== 7) assert.equal(runs.get(i), 1, `task ${i} ran once`);
  });
  it('no task waits behind a long one while a sibling sits idle: an idle instance takes back what the busy one has not started', async () => {
    const file = path.join(tmpDir(), 'runs.txt');
    // Prefetch 8: the instance that gets the 10 s task also gets short ones queued behind it.
    const worker: ResolvedWorker = {
      ...spec(),
      module: 'ledger.js',
      modulePath: path.join(FIXTURES, 'workers/ledger.js'),
      where: 'workers.l',
      config: { file },
    };
    const pool = new WorkerPool({ l: [worker, worker, worker, worker] }, new Logger('debug', [new LogRing()]));
    pools.push(pool);
    const pending: Step[] = [];
    const order: string[] = [];
    pool.on('results', (rs) => {
      for (const r of rs) order.push(r.step.rootId);
    });
    pool.on('requeue', (steps) => {
      pending.unshift(...steps);
      pool.fill('l', pending);
    });
    await pool.start();
    const task = (i: number, ms: number): Step => ({
      id: i + 1,
      rootId: i === 0 ? 'long' : `short-${i}`,
      parentId: null,
      chain: [],
      type: 'l',
      dataJson: JSON.stringify({ ms }),
      postback: null,
      attempt: 1,
      maxAttempts: 1,
      createdAt: Date.now(),
      queuedAt: Date.now(),
    });
    pending.push(task(0, 10_000));
    for (let i = 1; i <= 50; i++) pending.push(task(i, 20));
    // Feeding as the drone does: whenever results come in, what is left is handed out.
    pool.on('results', () => pool.fill('l', pending));
    pool.fill('l', pending);
    const stuck = pool.instances().find((i) => i.currentTask === 'long')!;
    assert.ok(stuck, 'one instance runs the long task');
    await waitFor('the 50 short tasks', () => order.filter((id) => id.startsWith('short-')).length === 50 || undefined, 30_000);
    // Every short task finished while the long one still ran, none of them on its instance.
    assert.ok(!order.includes('long'), `finished: ${order.join(' ')}`);
    const ledger = fs.readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(ledger.length, 50);
    assert.ok(
      ledger.every((line) => Number(line.split(' ')[2]) !== stuck.pid),
      'no short task ran on the instance with the long one',
    );
  });
  it('a "givenBack" the drone did not ask for (user code calling process.send) takes nothing back', async () => {
    const worker: ResolvedWorker = {
      ...spec(),
      module: 'forge-give-back.js',
      modulePath: path.join(FIXTURES, 'workers/forge-give-back.js'),
      where: 'workers.f',
    };
    const pool = new WorkerPool({ f: [worker] }, new Logger('debug', [new LogRing()]));
    pools.push(pool);
    let requeued = 0;
    const answered: number[] = [];
    pool.on('requeue', (steps) => (requeued += steps.length));
    pool.on('results', (rs) => answered.push(...rs.map((r) => r.step.id)));
    await pool.start();
    const steps: Step[] = [1, 2, 3].map((id) => ({
      id,
      rootId: String(id),
      parentId: null,
      chain: [],
      type: 'f',
      dataJson: '{}',
      postback: null,
      attempt: 1,
      maxAttempts: 1,
      createdAt: Date.now(),
      queuedAt: Date.now(),
    }));
    pool.fill('f', steps);
    await waitFor('three answers', () => answered.length === 3 || undefined, 30_000);
    assert.equal(requeued, 0, 'nothing was taken back');
    assert.deepEqual(answered.sort(), [1, 2, 3]);
  });
});
