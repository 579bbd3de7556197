import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chargeExit, describeExit, respawnDelayMs, type ExitContext } from '../../core/workers/crashCharge.js';
import type { Step } from '../../core/queue/local/types.js';
import type { Inflight } from '../../core/workers/runResult.js';

function step(id: number): Step {
  return {
    id,
    rootId: `task-${id}`,
    parentId: null,
    chain: [],
    type: 'k',
    dataJson: '{}',
    postback: null,
    attempt: 1,
    maxAttempts: 3,
    createdAt: 0,
    queuedAt: 0,
  };
}
const running = (id: number, at = 1000 + id): Inflight => ({ step: step(id), startedAt: at });
const waiting = (id: number): Inflight => ({ step: step(id), startedAt: null });

const crash: ExitContext = { instance: 'k#2', how: 'worker process exited (signal SIGSEGV)', stopped: false, resultsUnreported: false };
const ids = (steps: Step[]) => steps.map((s) => s.id);
const none = new Set<number>();

describe('describeExit: how a worker process ended, in words', () => {
  it('names the exit code, or the signal when there is one', () => {
    assert.equal(describeExit({ code: 3, signal: null, killReason: null }), 'worker process exited (code 3)');
    assert.equal(describeExit({ code: null, signal: 'SIGKILL', killReason: null }), 'worker process exited (signal SIGKILL)');
    assert.equal(describeExit({ code: 0, signal: null, killReason: null }), 'worker process exited (code 0)');
  });

  it('says why the drone killed it, when it did (a timeout, say)', () => {
    const how = describeExit({ code: null, signal: 'SIGKILL', killReason: 'timed out after 50 ms (timeoutMs of workers.k[0])' });
    assert.equal(how, 'timed out after 50 ms (timeoutMs of workers.k[0])');
  });
});

describe('chargeExit: who pays when a worker process dies holding steps', () => {
  it('fails the step that was running and gives back the ones that never started, in order', () => {
    const c = chargeExit([running(1, 500), waiting(2), waiting(3)], crash, none);
    assert.equal(c.failures.length, 1);
    assert.deepEqual(c.failures[0], {
      step: step(1),
      startedAt: 500,
      result: { s: 1, ok: false, error: 'k#2: worker process exited (signal SIGSEGV) while running this task', stack: null },
    });
    assert.deepEqual(ids(c.giveBack), [2, 3]);
    assert.deepEqual(c.suspect, []);
    assert.deepEqual(c.cleared, [1]);
  });

  it('fails every step that was running when several were (concurrency above 1)', () => {
    const c = chargeExit([running(1), running(2), running(3), waiting(4), waiting(5)], crash, none);
    assert.deepEqual(
      c.failures.map((r) => r.step.id),
      [1, 2, 3],
    );
    assert.deepEqual(
      c.failures.map((r) => r.startedAt),
      [1001, 1002, 1003],
    );
    assert.deepEqual(ids(c.giveBack), [4, 5]);
  });

  it('puts a timeout in the failure it charges', () => {
    const how = describeExit({ code: null, signal: 'SIGKILL', killReason: 'timed out after 50 ms (timeoutMs of workers.k[0])' });
    const c = chargeExit([running(7), waiting(8)], { ...crash, how }, none);
    assert.equal(c.failures.length, 1);
    const r = c.failures[0].result;
    assert.ok(!r.ok);
    assert.equal(r.error, 'k#2: timed out after 50 ms (timeoutMs of workers.k[0]) while running this task');
    assert.deepEqual(ids(c.giveBack), [8]);
  });

  it('charges nothing when nothing was running (a module that cannot start, or an idle crash)', () => {
    assert.deepEqual(chargeExit([], crash, none), { failures: [], giveBack: [], suspect: [], cleared: [] });
    const c = chargeExit([waiting(1), waiting(2)], crash, none);
    assert.deepEqual(c.failures, []);
    assert.deepEqual(ids(c.giveBack), [1, 2]);
  });

  it('stopped on purpose: nothing fails, everything goes back, running steps first', () => {
    const c = chargeExit([running(1), running(2), waiting(3)], { ...crash, stopped: true, resultsUnreported: true }, new Set([2]));
    assert.deepEqual(c.failures, []);
    assert.deepEqual(ids(c.giveBack), [1, 2, 3]);
    assert.deepEqual(c.suspect, []);
    // A suspect that was running when it was stopped is known not to have crashed it.
    assert.deepEqual(c.cleared, [1, 2]);
  });

  describe('results unreported (batchResults, killed before its exit handler ran)', () => {
    const unreported = { ...crash, resultsUnreported: true };

    it('charges no one: every step goes back, and those that may have run become suspects', () => {
      const c = chargeExit([running(1), running(2), waiting(3)], unreported, none);
      assert.deepEqual(c.failures, []);
      assert.deepEqual(ids(c.giveBack), [1, 2, 3]);
      assert.deepEqual(c.suspect, [1, 2, 3]);
      assert.deepEqual(c.cleared, []);
    });

    it('makes suspects only of the steps before the first suspect it held', () => {
      const c = chargeExit([running(1), waiting(2), waiting(3), waiting(4)], unreported, new Set([3]));
      assert.deepEqual(c.failures, []);
      assert.deepEqual(ids(c.giveBack), [1, 2, 3, 4]);
      assert.deepEqual(c.suspect, [1, 2]);
    });

    it('charges a suspect held first: it ran alone, so it is the one that crashed it', () => {
      const c = chargeExit([running(5), waiting(6), waiting(7)], unreported, new Set([5, 7]));
      assert.deepEqual(
        c.failures.map((r) => r.step.id),
        [5],
      );
      assert.deepEqual(ids(c.giveBack), [6, 7]);
      assert.deepEqual(c.suspect, []);
      assert.deepEqual(c.cleared, [5]);
    });

    it('charges as usual once the worker said its exit line (every result it had is in)', () => {
      const c = chargeExit([running(1), waiting(2)], crash, none);
      assert.deepEqual(
        c.failures.map((r) => r.step.id),
        [1],
      );
      assert.deepEqual(c.suspect, []);
    });
  });
});

describe('respawnDelayMs: how long a crashed instance waits', () => {
  const charged = chargeExit([running(1)], crash, none);
  const suspected = chargeExit([running(1)], { ...crash, resultsUnreported: true }, none);
  const nothing = chargeExit([], crash, none);

  it('doubles from 100 ms with each crash in a row', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => respawnDelayMs(n, nothing)),
      [100, 200, 400, 800],
    );
  });

  it('stays at 1 s at most when a task paid for the crash or suspects were made, 10 s otherwise', () => {
    assert.equal(respawnDelayMs(8, charged), 1000);
    assert.equal(respawnDelayMs(8, suspected), 1000);
    assert.equal(respawnDelayMs(8, nothing), 10_000);
    assert.equal(respawnDelayMs(50, nothing), 10_000);
  });
});
