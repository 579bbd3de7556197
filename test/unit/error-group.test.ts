import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorGroup, firstFrame, normaliseMessage } from '../../core/queue/errorGroup.js';
import { droneState } from '../../core/queue/pg/fleet.js';
import { withEnqueueRates } from '../../core/queue/queueView.js';
import type { QueueTypeRow } from '../../core/api/types.js';

describe('failure grouping', () => {
  it('takes out what varies between occurrences of one cause', () => {
    assert.equal(normaliseMessage('user 42 not found (request 7f3c9a2e-1b2d-4c5e-8f90-123456789abc)'), 'user <n> not found (request <uuid>)');
    assert.equal(normaliseMessage(`Cannot read properties of undefined (reading 'id')`), 'Cannot read properties of undefined (reading <str>)');
    assert.equal(normaliseMessage('connect ECONNREFUSED 10.0.0.7:5432 at 2026-12-05T22:30:21.123Z'), 'connect ECONNREFUSED <ip> at <time>');
    assert.equal(normaliseMessage('bad hash deadbeef00 and 0x1f'), 'bad hash <hex> and <hex>');
    assert.equal(normaliseMessage('first line\nsecond line 99'), 'first line');
  });

  it('the first frame of the user’s code, without line and column', () => {
    const stack =
      'Error: boom\n    at node:internal/process:1:2\n    at handle (file:///srv/app/workers/resize.js:10:15)\n    at run (/srv/app/core/workers/runner.js:3:3)';
    assert.equal(firstFrame(stack), 'handle (resize.js)');
    assert.equal(firstFrame('Error: x\n    at /srv/app/workers/anon.js:1:1'), 'anon.js');
    assert.equal(firstFrame(null), null);
    assert.equal(firstFrame('no frames here'), null);
  });

  it('the same cause is one key; another place or message is another', () => {
    const a = errorGroup('task 17 timed out after 3001 ms', 'Error\n    at run (/w/a.js:1:1)');
    const b = errorGroup('task 942 timed out after 2999 ms', 'Error\n    at run (/w/a.js:7:9)');
    const c = errorGroup('task 942 timed out after 2999 ms', 'Error\n    at other (/w/a.js:7:9)');
    const d = errorGroup('task 942 failed', 'Error\n    at run (/w/a.js:7:9)');
    assert.match(a.key, /^[0-9a-f]{16}$/);
    assert.equal(a.key, b.key);
    assert.notEqual(a.key, c.key);
    assert.notEqual(a.key, d.key);
  });
});

describe('fleet state', () => {
  it('alive until a heartbeat is missed, stale until the lease ends, then dead', () => {
    assert.deepEqual(
      [0, 19_999, 20_001, 29_999, 30_000].map((age) => droneState(age, 30_000)),
      ['alive', 'alive', 'stale', 'stale', 'dead'],
    );
  });
});

describe('enqueue rate', () => {
  const row = (type: string, available: number, processedPerSec: number, capped = false): QueueTypeRow => ({
    type,
    available,
    scheduled: 0,
    claimed: 0,
    failed: 0,
    capped,
    oldestWaitingMs: null,
    processedPerSec,
    enqueuedPerSec: null,
    servedBy: [],
    unserved: false,
  });
  it('is backlog growth plus what was processed, over the time between samples; none when capped or unsampled', () => {
    const prev = {
      at: 0,
      totals: new Map([
        ['a', 100],
        ['b', 5],
      ]),
    };
    const out = withEnqueueRates([row('a', 120, 10), row('b', 10_000, 1, true), row('new', 4, 0)], prev, 2000);
    assert.deepEqual(
      out.map((r) => r.enqueuedPerSec),
      [20, null, 2],
    );
    assert.deepEqual(
      withEnqueueRates([row('a', 1, 0)], null, 1000).map((r) => r.enqueuedPerSec),
      [null],
    );
    // A backlog that shrinks faster than processing (cancelled tasks) is no negative rate.
    assert.deepEqual(
      withEnqueueRates([row('a', 0, 1)], prev, 1000).map((r) => r.enqueuedPerSec),
      [0],
    );
  });
});
