import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freshSchema } from '../helpers/db.js';
import { droneSuite } from '../helpers/drone.js';
import { FIXTURES } from '../helpers/tmp.js';
import { RequestTimeoutError, TaskFailedError } from '../../core/swarmageClient.js';
import type { WaitStatus } from '../../core/queue/waitStatus.js';

// The client library's send-and-wait against a real drone: a failure ends the wait with the
// worker's error, and while waiting it says what the wait is on.
describe('SwarmageClient.request', () => {
  const suite = droneSuite();

  async function client(withDrone: boolean) {
    if (!withDrone) return suite.client(freshSchema());
    const d = await suite.start({ workers: { faulty: { module: path.join(FIXTURES, 'workers/faulty.js') } }, retry: { baseMs: 200, maxMs: 200 } });
    return d.client;
  }

  it('a task that fails its last attempt rejects with the worker’s error and stack, long before the timeout', async () => {
    const c = await client(true);
    const started = Date.now();
    const err = await c.request('faulty', { mode: 'throw' }, { maxAttempts: 2, timeoutMs: 120_000 }).then(
      () => assert.fail('a failed task must not answer'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TaskFailedError, String(err));
    assert.equal(err.attempts, 2);
    assert.match(err.error, /asked to throw \(attempt 2\)/);
    assert.match(err.workerStack ?? '', /faulty\.js/);
    // Not a timing assertion: a timeout would have been a RequestTimeoutError after 120 s.
    assert.ok(Date.now() - started < 120_000);
    // (That a retry is announced while it waits is test/cli/enqueue.test.ts's: its backoff is long enough to be seen.)
  });

  it('a type no live drone serves: the status says so, and the timeout names it', async () => {
    const c = await client(false);
    const seen: WaitStatus[] = [];
    const err = await c.request('nobody-serves', 1, { timeoutMs: 2500, onStatus: (s) => seen.push(s) }).then(
      () => assert.fail('nobody answers'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestTimeoutError, String(err));
    assert.match(String(err), /no live drone serves "nobody-serves"/);
    assert.deepEqual(
      seen.map((s) => s.kind),
      ['unserved'],
    );
  });
});
