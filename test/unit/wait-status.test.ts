import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeWait } from '../../core/queue/waitStatus.js';
import type { TaskProgress } from '../../core/queue/types.js';

const now = Date.UTC(2026, 0, 1, 12);
const task = (over: Partial<TaskProgress['tasks'][number]> = {}): TaskProgress['tasks'][number] => ({
  id: '1',
  state: 'available',
  attempts: 0,
  maxAttempts: 3,
  runAt: now - 1000,
  error: null,
  stack: null,
  ...over,
});

describe('describeWait: why a send-and-wait has no answer yet', () => {
  it('no live drone serving the type comes first, whatever the tasks do', () => {
    const s = describeWait({ served: 0, now, tasks: [task({ state: 'claimed' })] }, 'x');
    assert.equal(s.kind, 'unserved');
    assert.match(s.message, /no live drone serves "x"/);
  });

  it('a task waiting for its next attempt: which attempt failed, why, and when the next one runs', () => {
    const s = describeWait({ served: 1, now, tasks: [task({ attempts: 1, runAt: now + 5000, error: 'Error: boom\n    at work' })] }, 'x');
    assert.equal(s.kind, 'retrying');
    assert.equal(s.message, `task 1: attempt 1 of 3 failed (Error: boom); the next attempt at ${new Date(now + 5000).toISOString()}`);
  });

  it('a task enqueued to run later is scheduled, not retrying', () => {
    const s = describeWait({ served: 2, now, tasks: [task({ runAt: now + 60_000 })] }, 'x');
    assert.equal(s.kind, 'scheduled');
    assert.equal(s.message, `task 1 is scheduled for ${new Date(now + 60_000).toISOString()}`);
  });

  it('otherwise running, or queued behind other work', () => {
    assert.equal(describeWait({ served: 1, now, tasks: [task({ state: 'claimed', attempts: 1 }), task({ id: '2' })] }, 'x').kind, 'running');
    const q = describeWait({ served: 3, now, tasks: [task()] }, 'x');
    assert.equal(q.kind, 'queued');
    assert.match(q.message, /3 live drone\(s\) serve "x"/);
  });
});
