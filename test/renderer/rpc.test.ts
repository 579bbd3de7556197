import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiCallError, RequestTable, parseIncoming, unwrap } from '../../renderer/src/lib/rpc.js';

describe('request table and frames', () => {
  it('numbers requests and settles each with its own answer', async () => {
    const t = new RequestTable();
    const a = t.open('drone.snapshot', {});
    const b = t.open('failed.list', { limit: 5 });
    assert.deepEqual(JSON.parse(a.message), { id: 1, method: 'drone.snapshot', args: {} });
    assert.deepEqual(JSON.parse(b.message), { id: 2, method: 'failed.list', args: { limit: 5 } });
    assert.equal(t.settle({ id: 2, ok: true, result: [] }), true);
    assert.equal(t.settle({ id: 2, ok: true, result: [] }), false, 'answered once only');
    assert.equal(t.settle({ id: 9, ok: true, result: null }), false);
    assert.deepEqual(await b.promise, { ok: true, result: [] });
    t.settle({ id: 1, ok: false, error: { code: 'failed', message: 'boom' } });
    assert.deepEqual(await a.promise, { ok: false, error: { code: 'failed', message: 'boom' } });
    assert.equal(t.size, 0);
  });

  it('fails everything open at once', async () => {
    const t = new RequestTable();
    const ps = [t.open('a', {}), t.open('b', {})].map((r) => r.promise);
    t.failAll(new Error('closed'));
    for (const p of ps) await assert.rejects(p, /closed/);
    assert.equal(t.size, 0);
  });

  it('unwrap throws the ApiError as an Error keeping code and issues', () => {
    assert.equal(unwrap({ ok: true, result: 7 }), 7);
    assert.throws(
      () => unwrap({ ok: false, error: { code: 'invalid_args', message: 'tasks.enqueue: count: too big', issues: [{ path: 'count', message: 'too big' }] } }),
      (err: unknown) => {
        assert.ok(err instanceof ApiCallError && err instanceof Error);
        assert.equal(err.message, 'tasks.enqueue: count: too big');
        assert.equal(err.code, 'invalid_args');
        assert.deepEqual(err.issues, [{ path: 'count', message: 'too big' }]);
        return true;
      },
    );
  });

  it('classifies frames and reports what it does not understand', () => {
    assert.equal(parseIncoming('{"id":1,"ok":true,"result":null}').kind, 'response');
    assert.deepEqual(parseIncoming('{"event":"logs","data":[]}'), { kind: 'event', event: { event: 'logs', data: [] } });
    assert.equal(parseIncoming('{"event":"nope","data":1}').kind, 'invalid');
    assert.equal(parseIncoming('{"id":1,"ok":false}').kind, 'invalid');
    assert.equal(parseIncoming('not json').kind, 'invalid');
    assert.equal(parseIncoming('[1]').kind, 'invalid');
  });
});
