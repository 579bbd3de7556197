import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueueView } from '../../core/queue/queueView.js';
import { MemoryQueue } from '../helpers/memoryQueue.js';

describe('QueueView', () => {
  it('tells the time by the database’s clock, which heartbeats and leases are times of, not by this machine’s', async () => {
    const q = new MemoryQueue();
    // A database whose clock is an hour ahead of this machine's.
    q.clockMs = Date.now() + 3_600_000;
    const overview = await new QueueView(q, () => null).overview();
    assert.equal(overview.now, q.clockMs);
  });
});
