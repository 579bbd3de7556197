/**
 * What every global queue must do, said through the GlobalQueue interface only (no SQL, no
 * knowledge of how it stores tasks): the drone is written against these behaviours, so each
 * implementation runs this suite (test/queue/global-queue-contract.test.ts). In the spirit of
 * River's driver tests.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { GlobalQueue } from '../../core/queue/globalQueue.js';
import type { ClaimedTask, DroneRow } from '../../core/queue/types.js';
import { waitFor } from '../helpers/tmp.js';

const LEASE = 30_000;

/** A fresh, migrated, empty queue per call; closed by the suite. */
export type MakeQueue = () => Promise<GlobalQueue>;

const drone = (id: string, taskTypes: string[] = ['a']): DroneRow => ({ id, host: 'contract', pid: 1, taskTypes, startedAt: new Date() });
const idsOf = (ts: ClaimedTask[]) => ts.map((t) => t.id);
const sorted = (ids: Iterable<string>) => [...ids].sort((x, y) => Number(x) - Number(y));

export function globalQueueContract(name: string, make: MakeQueue): void {
  describe(`the GlobalQueue contract: ${name}`, () => {
    const made: GlobalQueue[] = [];
    const queue = async () => {
      const q = await make();
      made.push(q);
      return q;
    };
    after(async () => {
      for (const q of made) await q.close();
    });

    it("claims by priority, then age, up to each type's limit, and only the types asked for", async () => {
      const q = await queue();
      const [low, high, low2, other] = await q.enqueue([
        { type: 'a', data: 1 },
        { type: 'a', data: 2, priority: 5 },
        { type: 'a', data: 3 },
        { type: 'b', data: 4 },
      ]);
      // Which tasks a claim takes (the order it returns them in is not part of the contract).
      const first = await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      assert.deepEqual(idsOf(first), [high], 'the highest priority first');
      assert.deepEqual(
        first.map((t) => [t.type, t.dataJson, t.attempt]),
        [['a', '2', 1]],
      );
      assert.deepEqual(idsOf(await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE)), [low], 'then the oldest');
      const next = await q.claim(
        'd1',
        [
          { type: 'a', limit: 5 },
          { type: 'b', limit: 5 },
        ],
        LEASE,
      );
      assert.deepEqual(sorted(idsOf(next)), sorted([low2, other]));
      assert.deepEqual(await q.claim('d1', [{ type: 'a', limit: 5 }], LEASE), [], 'nothing is claimed twice');
      assert.deepEqual(await q.countType('a'), { available: 0, scheduled: 0, claimed: 3, failed: 0 });
    });

    it('two drones claiming at once never get the same task', async () => {
      const q = await queue();
      const all = await q.enqueue(Array.from({ length: 200 }, (_, i) => ({ type: 'a', data: i })));
      const rounds = await Promise.all(
        ['d1', 'd2', 'd1', 'd2', 'd1', 'd2'].map((d) => q.claim(d, [{ type: 'a', limit: 40 }], LEASE).then((ts) => ts.map((t) => `${d}:${t.id}`))),
      );
      const taken = rounds.flat().map((x) => x.split(':')[1]);
      assert.equal(new Set(taken).size, taken.length, 'a task went to two claims');
      assert.equal(taken.length, 200);
      assert.deepEqual(sorted(taken), sorted(all));
    });

    it('leaves a task for later until its time, and runNow makes it due', async () => {
      const q = await queue();
      const [later] = await q.enqueue([{ type: 'a', runAt: new Date(Date.now() + 3_600_000) }]);
      assert.deepEqual(await q.claim('d1', [{ type: 'a', limit: 5 }], LEASE), []);
      assert.equal((await q.countType('a')).scheduled, 1);
      assert.deepEqual(await q.runNow([later]), [later]);
      assert.deepEqual(idsOf(await q.claim('d1', [{ type: 'a', limit: 5 }], LEASE)), [later]);
    });

    it('acknowledges in the same call as the next claim: the acknowledged task is gone, another drone cannot acknowledge it', async () => {
      const q = await queue();
      const [first, second] = await q.enqueue([{ type: 'a' }, { type: 'a' }]);
      await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      // Another drone's acknowledgement of it changes nothing.
      assert.deepEqual(idsOf(await q.claim('d2', [{ type: 'a', limit: 1 }], LEASE, [first])), [second]);
      assert.equal((await q.findTask(first))?.state, 'claimed');
      assert.deepEqual(await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE, [first]), []);
      assert.equal(await q.findTask(first), null, 'done: gone from the queue');
      // Acknowledged again (a drone resending after a lost answer): nothing happens.
      await q.complete('d1', [{ id: first, resultJson: 'null' }]);
      assert.equal((await q.countType('a')).claimed, 1);
    });

    it('a completion with a postback puts the result on the queue for the postback type, answering the task', async () => {
      const q = await queue();
      const [id] = await q.enqueue([{ type: 'a', data: 5, postback: 'answers' }]);
      const [t] = await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      assert.equal(t.postback, 'answers');
      await q.complete('d1', [{ id, resultJson: '"78"', postback: 'answers' }]);
      assert.equal(await q.findTask(id), null);
      const posted = await q.takePostbacks('answers', 10);
      assert.deepEqual(
        posted.map((p) => [p.dataJson, p.traceId]),
        [['"78"', id]],
      );
    });

    it('a failure with attempts left comes back after its delay with the attempt counted; the last one stays failed, with its error, until retried', async () => {
      const q = await queue();
      const [id] = await q.enqueue([{ type: 'a', maxAttempts: 2 }]);
      await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      await q.fail('d1', [{ id, error: 'first', stack: null, retryInMs: 3_600_000 }]);
      assert.deepEqual(await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE), [], 'not before its delay');
      assert.equal((await q.findTask(id))?.state, 'scheduled');
      await q.runNow([id]);
      const [again] = await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      assert.equal(again.attempt, 2);
      await q.fail('d1', [{ id, error: 'second', stack: 'at work', retryInMs: 0 }]);
      assert.deepEqual(await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE), [], 'attempts used up');
      const failed = await q.findTask(id);
      assert.equal(failed?.state, 'failed');
      assert.equal(failed?.error, 'second');
      assert.deepEqual(
        (await q.listFailed({ types: ['a'] })).map((f) => f.id),
        [id],
      );
      assert.deepEqual(await q.retryFailed({ ids: [id] }), [id]);
      assert.deepEqual(idsOf(await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE)), [id]);
    });

    it('a final failure fails at once, whatever attempts are left', async () => {
      const q = await queue();
      const [id] = await q.enqueue([{ type: 'a', maxAttempts: 5 }]);
      await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      await q.fail('d1', [{ id, error: 'cannot succeed', stack: null, retryInMs: 0, final: true }]);
      assert.equal((await q.findTask(id))?.state, 'failed');
    });

    it('gives back without counting the attempt; a chain given back part-way resumes where it had got to', async () => {
      const q = await queue();
      const [plain, chain, kept] = await q.enqueue([{ type: 'a' }, { type: 'a', data: 'start' }, { type: 'a' }]);
      await q.claim('d1', [{ type: 'a', limit: 3 }], LEASE);
      assert.equal(await q.release('d2', [plain]), 0, "not another drone's to give back");
      assert.equal(await q.release('d1', [plain, chain], [{ id: chain, resumeType: 'b', resumeDataJson: '"half"' }]), 2);
      const again = await q.claim('d3', [{ type: 'a', limit: 5 }], LEASE);
      assert.deepEqual(sorted(idsOf(again)), sorted([plain, chain]));
      for (const t of again) assert.equal(t.attempt, 1, 'a give-back is no attempt');
      const resumed = again.find((t) => t.id === chain)!;
      assert.deepEqual([resumed.resumeType, resumed.resumeDataJson], ['b', '"half"']);
      assert.equal((await q.findTask(kept))?.claimedBy, q.fileId('d1'), 'held by d1, under the id the queue files it by');
      assert.equal(await q.releaseAllExcept('d1', []), 1);
      assert.equal((await q.findTask(kept))?.state, 'available');
    });

    it('after a restart a drone takes back what it held and nobody took meanwhile, never what another drone holds or what is done', async () => {
      const q = await queue();
      const [mine, given, done, theirs] = await q.enqueue([{ type: 'a' }, { type: 'a' }, { type: 'a' }, { type: 'a' }]);
      await q.claim('d1', [{ type: 'a', limit: 3 }], LEASE);
      await q.claim('d2', [{ type: 'a', limit: 1 }], LEASE);
      await q.release('d1', [given]);
      await q.complete('d1', [{ id: done, resultJson: 'null' }]);
      const held = await q.reclaim('d1', [mine, given, done, theirs], LEASE);
      assert.deepEqual(sorted(held), sorted([mine, given]));
      assert.equal((await q.findTask(given))?.claimedBy, q.fileId('d1'));
      assert.equal((await q.findTask(theirs))?.claimedBy, q.fileId('d2'));
      assert.equal(await q.releaseAllExcept('d1', [mine, given]), 0);
    });

    it('a lease kept by heartbeats holds; one left to run out is rescued back to the queue by anyone', async () => {
      const q = await queue();
      const [held, lost] = await q.enqueue([{ type: 'a' }, { type: 'a' }]);
      await q.claim('d1', [{ type: 'a', limit: 2 }], 1000);
      // The drone's local queue holds only `held` (the other claim's answer was lost, say).
      assert.equal(await q.heartbeat(drone('d1'), LEASE, [held]), 1);
      const rescued = await waitFor(
        'the unheld lease to run out and be rescued',
        async () => {
          const r = await q.rescueExpired();
          return r.length > 0 ? r : undefined;
        },
        10_000,
        100,
      );
      assert.deepEqual(rescued, [lost]);
      assert.equal((await q.findTask(lost))?.state, 'available');
      assert.equal((await q.findTask(held))?.claimedBy, q.fileId('d1'));
      assert.deepEqual(idsOf(await q.claim('d2', [{ type: 'a', limit: 5 }], LEASE)), [lost]);
    });

    it('a heartbeat registers the drone in the fleet, with what it holds; deregistering removes it', async () => {
      const q = await queue();
      await q.enqueue([{ type: 'a' }, { type: 'a' }]);
      await q.claim('d1', [{ type: 'a', limit: 2 }], LEASE);
      await q.heartbeat(drone('d1', ['a']), LEASE);
      const row = (await q.fleet()).find((d) => d.id === q.fileId('d1'));
      assert.ok(row, 'registered');
      assert.deepEqual(row.types, ['a']);
      assert.equal(row.held, 2);
      assert.equal(row.state, 'alive');
      await q.deregister('d1');
      assert.equal(
        (await q.fleet()).find((d) => d.id === q.fileId('d1')),
        undefined,
      );
    });

    it('cancels waiting tasks, never claimed ones', async () => {
      const q = await queue();
      const [waiting, running] = await q.enqueue([
        { type: 'a', priority: 0 },
        { type: 'a', priority: 9 },
      ]);
      await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      assert.deepEqual(await q.cancel([waiting, running]), [waiting]);
      assert.equal(await q.findTask(waiting), null);
      assert.equal((await q.findTask(running))?.state, 'claimed');
    });

    it('wakes its listeners when tasks of a type arrive', async () => {
      const q = await queue();
      const wakeups = q.wakeups();
      const heard: string[] = [];
      wakeups.on('notify', (type) => heard.push(type));
      wakeups.start();
      try {
        await waitFor('the wake-ups connected', () => wakeups.state === 'notify' || wakeups.state === 'checking' || undefined, 10_000);
        // The first notification may race the LISTEN: enqueue until one is heard.
        await waitFor(
          'a wake-up for type "a"',
          async () => {
            await q.enqueue([{ type: 'a' }]);
            return heard.includes('a') || undefined;
          },
          10_000,
          200,
        );
      } finally {
        await wakeups.stop();
      }
    });
  });
}
