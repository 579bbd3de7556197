import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { resolveConfig } from '../../core/config/load.js';
import { Drone } from '../../core/drone/drone.js';
import { Logger, LogRing } from '../../core/log/logger.js';
import { openLocalQueue } from '../../core/queue/local/droneLocalQueue.js';
import { WorkerPool } from '../../core/workers/pool.js';
import { MemoryQueue } from '../helpers/memoryQueue.js';
import { FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';

/**
 * The drone's own logic, with the global queue in memory (test/helpers/memoryQueue.ts) and
 * everything else real: its local SQLite file and its worker processes. What it sends the queue
 * is seen call by call, which Postgres would not show.
 */
describe('the drone against a global queue in memory', () => {
  const drones: Drone<MemoryQueue>[] = [];
  after(async () => {
    await Promise.all(drones.map((d) => d.stop()));
  });

  /** `maxPerWorker` null: not set, so the drone sizes its buffers itself. */
  function start(maxPerWorker: number | null = 50, pollIntervalMs = 100, workers?: Record<string, unknown>) {
    const dir = tmpDir();
    const config = resolveConfig(
      {
        workers: workers ?? { echo: { module: path.join(FIXTURES, 'workers/echo.js'), prefetch: 5 } },
        ...(maxPerWorker === null ? {} : { maxPerWorker }),
        pollIntervalMs,
        localQueue: { path: path.join(dir, 'local.sqlite') },
      },
      { dir },
    );
    const ring = new LogRing(10_000);
    const logger = new Logger('debug', [ring]);
    const queue = new MemoryQueue();
    const drone = new Drone({
      config,
      logger,
      queue,
      pool: new WorkerPool(config.workers, logger),
      openLocalQueue,
      databaseLabel: 'memory',
      databaseSource: 'config',
    });
    drones.push(drone);
    return { drone, queue, ring };
  }

  it('acknowledges completions in the claims it makes anyway: far fewer round trips than tasks', async () => {
    const { drone, queue } = start();
    await drone.start();
    const ids = await queue.enqueue(Array.from({ length: 600 }, (_, i) => ({ type: 'echo', data: i })));
    await waitFor('all 600 done', () => queue.done.length === 600, 30_000);
    assert.deepEqual([...queue.done].sort(), [...ids].sort(), 'each task acknowledged exactly once');
    const claims = queue.calls.filter((c) => c.op === 'claim');
    const ackedInClaims = claims.reduce((n, c) => n + (c.acks ?? 0), 0);
    const completes = queue.calls.filter((c) => c.op === 'complete');
    assert.equal(ackedInClaims + completes.reduce((n, c) => n + c.n, 0), 600);
    assert.ok(ackedInClaims > 0, 'acknowledgements ride on claims');
    assert.ok(claims.length + completes.length < 600 / 2, `${claims.length} claims and ${completes.length} completes for 600 tasks`);
    assert.ok(
      claims.every((c) => c.n <= 50),
      'no claim asks for more than the buffer holds',
    );
  });

  it('a task notified while a claim that missed it is on its way back is claimed at once, not at the next poll', async () => {
    // No poll within the test: only the notification can bring the task.
    const { drone, queue } = start(50, 600_000);
    await drone.start();
    await waitFor('the first claim answered', () => queue.count('claim') >= 1);
    // The next claim reads an empty table; before its answer arrives, a task is enqueued and notified.
    let raced = false;
    queue.claimInFlight = async () => {
      if (raced) return;
      raced = true;
      queue.claimInFlight = null;
      await queue.enqueue([{ type: 'echo', data: 'late' }]);
    };
    await queue.enqueue([{ type: 'echo', data: 'first' }]);
    await waitFor('both tasks done', () => queue.done.length === 2, 20_000);
    assert.ok(raced, 'the enqueue happened while a claim was in flight');
  });

  it('keeps its buffer within capacity while tasks wait', async () => {
    const { drone, queue } = start(20);
    await drone.start();
    drone.pause();
    await queue.enqueue(Array.from({ length: 200 }, () => ({ type: 'echo', data: null })));
    drone.resume();
    let most = 0;
    await waitFor(
      'all done',
      () => {
        most = Math.max(most, drone.buffered('echo'));
        return queue.done.length === 200;
      },
      30_000,
    );
    assert.ok(most <= 20, `buffered ${most} of a capacity of 20`);
  });

  for (const maxPerWorker of [3, null]) {
    it(`a fast first stage claims no more chains than its target while they wait in a slow local: stage (${maxPerWorker ? 'fixed' : 'auto'})`, async () => {
      const file = path.join(tmpDir(), 'ledger.txt');
      const ledger = path.join(FIXTURES, 'workers/ledger.js');
      const { drone, queue } = start(maxPerWorker, 100, {
        a: { module: ledger, config: { file, next: 'b', delayScale: 0 } },
        b: { module: ledger, config: { file, delayScale: 1 } },
      });
      await drone.start();
      await queue.enqueue(Array.from({ length: 40 }, () => ({ type: 'a', data: { ms: 20 } })));
      let most = 0;
      let target = 0;
      await waitFor(
        'all done',
        () => {
          const held = [...queue.rows.values()].filter((r) => r.state === 'claimed').length;
          most = Math.max(most, held);
          target = Math.max(target, drone.capacity('a'));
          return queue.done.length === 40;
        },
        60_000,
        5,
      );
      // Claimed in the queue: chains under way, plus ended ones whose acknowledgement is on its way.
      assert.ok(most <= target + 3, `held ${most} claims; the target of "a" was at most ${target}`);
      // Left to itself, "a" holds what "b" ends within a quarter of a second (b: 20 ms a task, so
      // about 13), not what "a" alone could start (its tasks take no time at all).
      if (!maxPerWorker) assert.ok(most <= 20, `held ${most} claims of 40 (target of "a" at most ${target})`);
    });
  }

  it('says when the database goes away, keeps what it holds, and goes on when it is back', async () => {
    const { drone, queue, ring } = start();
    await drone.start();
    await queue.enqueue(Array.from({ length: 50 }, () => ({ type: 'echo', data: 1 })));
    await waitFor('some done', () => queue.done.length > 0, 10_000);
    queue.down = true;
    await queue.enqueue([]).catch(() => {});
    await waitFor('the snapshot says unreachable', () => !drone.snapshot().database.connected, 10_000);
    assert.match(drone.snapshot().database.lastError ?? '', /ECONNREFUSED/);
    queue.down = false;
    // The queue counts a task done inside the call; the drone marks the database reachable when the answer is in.
    await waitFor('all 50 acknowledged, the database reachable again', () => queue.done.length === 50 && drone.snapshot().database.connected, 20_000);
    const said = ring.recent().map((l) => l.msg);
    assert.ok(
      said.some((m) => m.startsWith('database unreachable: memory')),
      said.join('\n'),
    );
    assert.ok(said.includes('database reachable again: memory'), said.join('\n'));
  });

  it('fails, as an attempt, a task that resumes at a type it has no worker for; runs one that resumes at a type it has', async () => {
    const { drone, queue } = start();
    drone.pause();
    await drone.start();
    const [elsewhere, here] = await queue.enqueue([
      { type: 'echo', data: 1, maxAttempts: 1 },
      { type: 'echo', data: 2, maxAttempts: 1 },
    ]);
    Object.assign(queue.rows.get(elsewhere)!, { resumeType: 'nobody-here', resumeDataJson: '"mid-chain"' });
    Object.assign(queue.rows.get(here)!, { resumeType: 'echo', resumeDataJson: '"resumed input"' });
    drone.resume();
    const failed = await waitFor('the failure', () => (queue.rows.get(elsewhere)?.state === 'failed' ? queue.rows.get(elsewhere) : null), 10_000);
    assert.match(failed.lastError ?? '', /no worker for "nobody-here", the step this task resumes at/);
    assert.deepEqual(failed.resumeType, 'nobody-here', 'it keeps its resume point for a drone that has one');
    await waitFor('the other done', () => queue.done.includes(here), 10_000);
    const [step] = await drone.local!.trace(here);
    assert.deepEqual([step.type, step.dataJson, step.resultJson, step.resumed], ['echo', '"resumed input"', '"resumed input"', true]);
  });

  it('gives back what it had not started when it stops', async () => {
    const { drone, queue } = start();
    await drone.start();
    drone.pause();
    await queue.enqueue(Array.from({ length: 30 }, () => ({ type: 'echo', data: 1 })));
    // Paused: nothing is claimed, so nothing is to give back yet; claim some, then stop at once.
    drone.resume();
    drone.pause();
    await drone.stop();
    const claimed = [...queue.rows.values()].filter((r) => r.state === 'claimed');
    assert.deepEqual(claimed, [], 'no task is left claimed by a stopped drone');
    assert.equal(queue.rows.size + queue.done.length, 30);
    assert.equal(queue.count('deregister'), 1);
  });
});
