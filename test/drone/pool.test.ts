import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WorkerPool } from '../../core/workers/pool.js';
import { Logger, LogRing } from '../../core/log/logger.js';
import type { ResolvedWorker } from '../../core/config/load.js';
import { FIXTURES, sleep, waitFor } from '../helpers/tmp.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const spec = (): ResolvedWorker => ({
  module: 'echo.js', modulePath: path.join(FIXTURES, 'workers/echo.js'), where: 'workers.echo',
  config: {}, timeoutMs: 30_000, concurrency: 1, prefetch: 8,
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
    while (Date.now() < until) { /* busy on purpose */ }
    const stopped = pool.stop(5000);
    await stopped;
    await sleep(1500); // longer than a respawn delay
    const info = pool.instances()[0];
    assert.equal(info.state, 'stopped');
    assert.equal(info.pid, null);
    assert.equal(alive(respawned), false, 'the respawned process exited');
    assert.equal(info.restarts, 1, 'no respawn after the stop');
  });
});
