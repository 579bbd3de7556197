import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupScope, groupSelection, sinceOf } from '../../renderer/src/lib/failures.js';

describe('the Failures view’s filters', () => {
  it('a time window is "failed since" from the time of the call; all time is no condition', () => {
    assert.equal(sinceOf('hour', 10_000_000), 10_000_000 - 3_600_000);
    assert.equal(sinceOf('all', 10_000_000), undefined);
    assert.deepEqual(groupSelection('abc', { type: '', window: 'all' }, 5), { group: 'abc' });
    assert.deepEqual(groupSelection('abc', { type: 'mail', window: 'day' }, 86_400_000 + 5), { group: 'abc', type: 'mail', since: 5 });
  });

  it('spells out the scope of a bulk action', () => {
    const g = { count: 7, title: 'invoice <n> has no customer' };
    assert.equal(
      groupScope(g, { type: '', window: 'all' }),
      '7 failed tasks with the cause "invoice <n> has no customer", of every type, on the whole queue, whenever they failed',
    );
    assert.equal(
      groupScope({ ...g, count: 1 }, { type: 'charge', window: 'week' }),
      '1 failed task with the cause "invoice <n> has no customer", of type "charge", that failed in the last 7 days',
    );
  });
});
