import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planClaims, type TypeRoom } from '../../core/drone/claimPlan.js';
import { failureOf, outcomeOf } from '../../core/drone/outcomes.js';
import { DatabaseHealth } from '../../core/drone/dbHealth.js';
import { NoAnswerError, isConnectionError } from '../../core/drone/dbErrors.js';
import { debugSession } from '../../core/drone/explorer.js';
import { Logger, LogRing } from '../../core/log/logger.js';
import type { Step } from '../../core/queue/local/types.js';
import { MAX_ERROR_BYTES } from '../../core/util/truncate.js';

const room = (over: Partial<TypeRoom> = {}): TypeRoom => ({ type: 'a', buffered: 0, capacity: 1000, prefetch: 10, exhausted: false, ...over });

describe('planClaims: what the drone asks the global queue for', () => {
  it("an empty buffer asks for twice its workers' prefetch first", () => {
    assert.deepEqual(planClaims([room()]), [{ type: 'a', limit: 20 }]);
  });

  it('an empty buffer smaller than twice the prefetch asks for all of it', () => {
    assert.deepEqual(planClaims([room({ capacity: 15 })]), [{ type: 'a', limit: 15 }]);
  });

  it('a buffer with work waits until a tenth of it (or the prefetch) is free, then asks for all that is free', () => {
    assert.deepEqual(planClaims([room({ buffered: 995 })]), []);
    assert.deepEqual(planClaims([room({ buffered: 990 })]), [{ type: 'a', limit: 10 }]);
    // With a prefetch above a tenth, a tenth decides.
    assert.deepEqual(planClaims([room({ buffered: 950, prefetch: 500 })]), []);
    assert.deepEqual(planClaims([room({ buffered: 900, prefetch: 500 })]), [{ type: 'a', limit: 100 }]);
  });

  it('a tiny buffer asks as soon as one place is free', () => {
    assert.deepEqual(planClaims([room({ capacity: 3, buffered: 2, prefetch: 1 })]), [{ type: 'a', limit: 1 }]);
  });

  it('skips exhausted types, full buffers and types without workers', () => {
    const plan = planClaims([
      room({ type: 'x', exhausted: true }),
      room({ type: 'full', buffered: 1000 }),
      room({ type: 'none', capacity: 0 }),
      room({ type: 'b', buffered: 100 }),
    ]);
    assert.deepEqual(plan, [{ type: 'b', limit: 900 }]);
  });
});

const step: Step = {
  id: 7,
  rootId: '42',
  parentId: null,
  chain: [],
  type: 'a',
  dataJson: '{}',
  postback: null,
  attempt: 3,
  maxAttempts: 5,
  createdAt: 0,
  queuedAt: 0,
};
const retry = { baseMs: 1000, maxMs: 60_000 };

describe("outcomeOf: what a worker's result means for its step", () => {
  it('a result without next is done, with the result', () => {
    assert.deepEqual(
      outcomeOf(step, { s: 7, ok: true, json: '5' }, () => true, retry),
      { kind: 'done', step, resultJson: '5' },
    );
  });

  it("next to a served type is a hop carrying the result as the next step's data", () => {
    assert.deepEqual(
      outcomeOf(step, { s: 7, ok: true, json: '{"n":1}', next: 'b' }, (t) => t === 'b', retry),
      { kind: 'hop', step, nextType: 'b', nextDataJson: '{"n":1}' },
    );
  });

  it('next to a type the drone does not serve fails the step, naming both types', () => {
    const o = outcomeOf(step, { s: 7, ok: true, json: '1', next: 'nowhere' }, () => false, retry);
    assert.equal(o.kind, 'failed');
    assert.match((o as { error: string }).error, /the a worker chained to local:nowhere, but this drone has no worker for "nowhere"/);
  });

  it('a failure carries its error and stack, and a retry delay that grows with the attempt', () => {
    const first = outcomeOf({ ...step, attempt: 1 }, { s: 7, ok: false, error: 'boom', stack: 'at x' }, () => true, retry) as {
      kind: string;
      error: string;
      stack: string;
      retryInMs: number;
    };
    const third = outcomeOf(step, { s: 7, ok: false, error: 'boom', stack: 'at x' }, () => true, retry) as { retryInMs: number };
    assert.equal(first.kind, 'failed');
    assert.equal(first.error, 'boom');
    assert.equal(first.stack, 'at x');
    assert.ok(first.retryInMs > 0 && first.retryInMs <= retry.maxMs);
    assert.ok(third.retryInMs > first.retryInMs, `attempt 3 waits longer than attempt 1 (${third.retryInMs} vs ${first.retryInMs})`);
  });

  it('an error of any size is cut to the recorded bound', () => {
    const o = failureOf(step, 'x'.repeat(MAX_ERROR_BYTES * 3), null, retry) as { error: string };
    assert.ok(Buffer.byteLength(o.error) <= MAX_ERROR_BYTES, `error of ${Buffer.byteLength(o.error)} bytes`);
  });
});

describe('DatabaseHealth', () => {
  function health() {
    const ring = new LogRing(100);
    const changes: number[] = [];
    const h = new DatabaseHealth(
      'postgres://db/x',
      () => new Logger('debug', [ring]),
      500,
      () => changes.push(1),
    );
    return { h, ring, changes };
  }

  it('says once that the database went away, not once per failed query, and once that it is back', () => {
    const { h, ring } = health();
    h.up('claim');
    for (let i = 0; i < 5; i++) h.down(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'claim');
    h.up('claim');
    const lines = ring.recent().map((l) => `${l.level}: ${l.msg}`);
    assert.equal(lines.filter((l) => l.startsWith('error: database unreachable: postgres://db/x: connect ECONNREFUSED')).length, 1, lines.join('\n'));
    assert.equal(lines.filter((l) => l === 'info: database reachable again: postgres://db/x').length, 1, lines.join('\n'));
  });

  it('the snapshot shows the error and when it retries, and clears both when it is back', () => {
    const { h } = health();
    const before = Date.now();
    h.down(new Error('Connection terminated unexpectedly'), 'heartbeat', 2000);
    const v = h.view();
    assert.equal(v.connected, false);
    assert.equal(v.state, 'unreachable');
    assert.equal(v.lastError, 'Connection terminated unexpectedly');
    assert.ok(v.retryAt! >= before + 2000);
    h.up('heartbeat');
    assert.deepEqual(h.view(), { url: 'postgres://db/x', connected: true, lastError: null, retryAt: null, state: 'connected' });
  });

  const refused = () => Object.assign(new Error('relation "x.drones" does not exist'), { code: '42P01' });
  const said = (ring: LogRing) => ring.recent().map((l) => `${l.level}: ${l.msg}`);

  it('a refused statement is an error of its operation, not an unreachable database, and is said once', () => {
    const { h, ring } = health();
    h.up('claim');
    for (let i = 0; i < 5; i++) h.down(refused(), 'heartbeat');
    const v = h.view();
    assert.equal(v.state, 'error');
    assert.equal(v.connected, true, 'the round trip worked at the connection level');
    assert.equal(v.lastError, 'heartbeat: relation "x.drones" does not exist (SQLSTATE 42P01)');
    assert.equal(typeof v.retryAt, 'number');
    // Other operations working do not hide it; only the heartbeat's next success clears it.
    h.up('claim');
    assert.equal(h.view().state, 'error');
    h.up('heartbeat');
    assert.deepEqual(h.view(), { url: 'postgres://db/x', connected: true, lastError: null, retryAt: null, state: 'connected' });
    const lines = said(ring);
    assert.deepEqual(lines, ['error: database error in heartbeat: relation "x.drones" does not exist (SQLSTATE 42P01)'], lines.join('\n'));
  });

  it('an operation that fails and works by turns is said at most every 10 s', () => {
    const { h, ring } = health();
    for (let i = 0; i < 5; i++) {
      h.down(refused(), 'rescue');
      h.up('rescue');
    }
    assert.equal(said(ring).length, 1, said(ring).join('\n'));
  });

  it('a refused statement after an unreachable spell says the database is reachable again', () => {
    const { h, ring } = health();
    h.up('claim');
    h.down(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'claim');
    assert.equal(h.view().state, 'unreachable');
    h.down(refused(), 'heartbeat');
    assert.equal(h.view().state, 'error');
    assert.ok(said(ring).includes('info: database reachable again: postgres://db/x'), said(ring).join('\n'));
  });

  it('no answer in time is its own state, with its own words, and not "unreachable"', () => {
    const { h, ring } = health();
    h.up('heartbeat');
    h.down(new NoAnswerError(300), 'heartbeat', 1000);
    const v = h.view();
    assert.equal(v.state, 'timeout');
    assert.equal(v.connected, false);
    assert.equal(v.lastError, 'no answer from the database within 300 ms');
    h.up('heartbeat');
    assert.deepEqual(said(ring), [
      'error: database not answering within 300 ms (heartbeat): postgres://db/x; retrying in 1 s',
      'info: database answering again: postgres://db/x',
    ]);
  });

  it('an idle connection that fails otherwise than by its connection is only a warning', () => {
    const { h, ring } = health();
    h.up('start');
    h.idleConnectionFailed(Object.assign(new Error('something odd'), { code: 'XX000' }));
    assert.equal(h.view().state, 'connected');
    assert.deepEqual(said(ring), ['warn: an idle database connection failed: something odd']);
    h.idleConnectionFailed(new Error('Connection terminated unexpectedly'));
    assert.equal(h.view().state, 'unreachable');
  });

  it('retryUntilUp retries connection errors with backoff and gives up at once on others', async () => {
    const { h } = health();
    let calls = 0;
    await h.retryUntilUp(
      async () => {
        if (++calls < 2) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      },
      () => false,
    );
    assert.equal(calls, 2);
    assert.equal(h.view().connected, true);
    await assert.rejects(
      h.retryUntilUp(
        async () => {
          throw new Error('permission denied for schema x');
        },
        () => false,
      ),
      /^Error: database postgres:\/\/db\/x: permission denied for schema x$/,
    );
    await assert.rejects(
      h.retryUntilUp(
        async () => {
          throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
        },
        () => true,
      ),
      /stopped before the database was reachable/,
    );
  });

  it('isConnectionError tells an unreachable database from a bad statement', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOENT', '08006', '57P01']) assert.equal(isConnectionError({ code }), true, code);
    assert.equal(isConnectionError(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isConnectionError({ code: '42P01', message: 'relation does not exist' }), false);
    assert.equal(isConnectionError(null), false);
  });
});

describe('debugSession', () => {
  it('gives the DevTools address of the inspector', () => {
    const s = debugSession('a', 'a#debug', { host: '127.0.0.1', port: 9229, webSocketUrl: 'ws://127.0.0.1:9229/abc' }, null);
    assert.equal(s.devtoolsUrl, 'devtools://devtools/bundled/js_app.html?ws=127.0.0.1:9229/abc');
    assert.equal(s.webSocketUrl, 'ws://127.0.0.1:9229/abc');
  });
});
