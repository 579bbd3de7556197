import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDispatcher } from '../../core/api/dispatcher.js';
import { METHOD_NAMES, type Handlers } from '../../core/api/contract.js';

/** Handlers that record what reached them: the dispatcher must let only valid calls through. */
function recording() {
  const calls: Array<[string, unknown]> = [];
  const handlers = Object.fromEntries(
    METHOD_NAMES.map((m) => [
      m,
      async (args: unknown) => {
        calls.push([m, args]);
        if (m === 'drone.pause') throw new Error('the drone is not running');
        return { echoed: args };
      },
    ]),
  ) as unknown as Handlers;
  return { calls, dispatch: createDispatcher(handlers) };
}

describe('the API dispatcher', () => {
  it('calls the handler with parsed arguments (defaults filled in)', async () => {
    const { calls, dispatch } = recording();
    const out = await dispatch('tasks.enqueue', { type: 'factorial', data: 5 });
    assert.deepEqual(out, { ok: true, result: { echoed: { type: 'factorial', data: 5, count: 1 } } });
    assert.deepEqual(calls, [['tasks.enqueue', { type: 'factorial', data: 5, count: 1 }]]);
  });

  it('rejects unknown methods, including prototype names, without calling anything', async () => {
    const { calls, dispatch } = recording();
    for (const m of ['nope', '__proto__', 'constructor', 'toString', 42, null, 'x'.repeat(100_000)]) {
      const out = await dispatch(m, {});
      assert.equal(out.ok, false);
      if (!out.ok) {
        assert.equal(out.error.code, 'unknown_method');
        assert.ok(out.error.message.length < 200, 'a huge name is not echoed back whole');
      }
    }
    assert.equal(calls.length, 0);
  });

  it('names the field of every bad argument', async () => {
    const { calls, dispatch } = recording();
    const cases: Array<[string, unknown, RegExp]> = [
      ['tasks.enqueue', { type: 5 }, /type: .*expected string/],
      ['tasks.enqueue', { type: 'x', count: 0 }, /count: .*>=1/],
      ['tasks.enqueue', { type: 'x'.repeat(201) }, /type: .*<=200/],
      ['tasks.enqueue', {}, /type: /],
      ['tasks.enqueue', { type: 'x', sneaky: 1 }, /unrecognized key.*sneaky/i],
      ['failed.retry', { ids: ['1; DROP TABLE tasks'] }, /ids\[0\]: a task id/],
      ['failed.retry', {}, /invalid input/i],
      ['logs.recent', { limit: 'all' }, /limit: .*expected number/],
      ['config.check', { text: 'x'.repeat(2 * 1024 * 1024) }, /text: .*<=1048576/],
      ['workers.restart', { id: '' }, /id: /],
      ['drone.snapshot', 'not an object', /expected object/],
    ];
    for (const [method, args, expected] of cases) {
      const out = await dispatch(method, args);
      assert.equal(out.ok, false, `${method} ${JSON.stringify(args).slice(0, 80)}`);
      if (!out.ok) {
        assert.equal(out.error.code, 'invalid_args');
        assert.match(out.error.message, expected);
        assert.ok(out.error.message.startsWith(`${method}: `));
      }
    }
    assert.equal(calls.length, 0);
  });

  it('turns a handler error into a failed response, not a crash', async () => {
    const { dispatch } = recording();
    const out = await dispatch('drone.pause', {});
    assert.deepEqual(out, { ok: false, error: { code: 'failed', message: 'the drone is not running' } });
  });
});
