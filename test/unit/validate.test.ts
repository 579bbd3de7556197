import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkNewTask, checkTypeName, MAX_PAYLOAD_BYTES, TaskInputError, toPayloadJson } from '../../core/queue/validate.js';
import type { NewTask } from '../../core/queue/types.js';
import { retryDelayMs } from '../../core/util/backoff.js';

/** Asserts that fn throws a TaskInputError whose message matches every pattern. */
function rejects(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TaskInputError, `expected a TaskInputError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe('task validation and retry backoff', () => {
  it('returns the exact JSON text of ordinary payloads', () => {
    assert.equal(checkNewTask({ type: 'sum', data: { a: [1, 2.5, 'x'], b: null, c: true } }), '{"a":[1,2.5,"x"],"b":null,"c":true}');
    assert.equal(checkNewTask({ type: 'sum', data: 'héllo "q"' }), '"héllo \\"q\\""');
    assert.equal(checkNewTask({ type: 'sum', data: 0 }), '0');
    assert.equal(checkNewTask({ type: 'sum' }), 'null');
    assert.equal(toPayloadJson(undefined, 'x'), 'null');
    assert.equal(toPayloadJson(new Date(0), 'x'), '"1970-01-01T00:00:00.000Z"');
    assert.equal(toPayloadJson({ skip: undefined, keep: 1 }, 'x'), '{"keep":1}');
  });

  it('accepts every valid option', () => {
    const t: NewTask = { type: 'a', data: [1], postback: 'reply-1', priority: -5, runAt: new Date(), maxAttempts: 1000 };
    assert.equal(checkNewTask(t), '[1]');
    assert.equal(checkNewTask({ type: 'x'.repeat(200), priority: 2 ** 31 - 1, maxAttempts: 1 }), 'null');
  });

  it('rejects a BigInt anywhere in the data, naming task.data', () => {
    rejects(() => checkNewTask({ type: 'a', data: { n: 10n } }), /^task\.data: /, /BigInt/, /10n/);
    rejects(() => toPayloadJson([1n], 'result'), /^result: /, /BigInt/);
  });

  it('rejects functions', () => {
    rejects(() => checkNewTask({ type: 'a', data: { f: () => 1 } }), /^task\.data: a function is not JSON/);
    rejects(() => toPayloadJson(() => 1, 'r'), /^r: a function is not JSON/);
  });

  it('rejects NaN and Infinity instead of turning them into null', () => {
    rejects(() => checkNewTask({ type: 'a', data: { x: NaN } }), /^task\.data: NaN is not JSON/);
    rejects(() => checkNewTask({ type: 'a', data: [-Infinity] }), /^task\.data: -Infinity is not JSON/);
  });

  it('rejects circular objects', () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    rejects(() => checkNewTask({ type: 'a', data: o }), /^task\.data: not JSON-serialisable/, /circular/i);
  });

  it('rejects values with no JSON form and the NUL character', () => {
    rejects(() => toPayloadJson(Symbol('s'), 'task.data'), /^task\.data: not JSON-serialisable$/);
    rejects(() => toPayloadJson({ s: 'a\u0000b' }, 'task.data'), /^task\.data: /, /NUL/);
  });

  it('enforces MAX_PAYLOAD_BYTES in UTF-8 bytes', () => {
    assert.equal(MAX_PAYLOAD_BYTES, 1024 * 1024);
    const fits = 'x'.repeat(MAX_PAYLOAD_BYTES - 2); // plus two quotes: exactly the limit
    assert.equal(toPayloadJson(fits, 'd').length, MAX_PAYLOAD_BYTES);
    rejects(() => toPayloadJson(fits + 'x', 'task.data'), /^task\.data: 1048577 bytes of JSON; the limit is 1048576/);
    // Two bytes per character: half as many characters already overflow.
    rejects(() => checkNewTask({ type: 'a', data: 'é'.repeat(MAX_PAYLOAD_BYTES / 2) }), /^task\.data: \d+ bytes/, /1 MiB/);
  });

  it('rejects missing, empty, overlong and control-character type names', () => {
    rejects(() => checkNewTask({ type: '' }), /^task\.type: expected a non-empty string, got an empty string/);
    rejects(() => checkNewTask({ type: undefined as unknown as string }), /^task\.type: .*got undefined/);
    rejects(() => checkNewTask({ type: null as unknown as string }), /^task\.type: .*got null/);
    rejects(() => checkNewTask({ type: 42 as unknown as string }), /^task\.type: .*got number/);
    rejects(() => checkNewTask({ type: 'x'.repeat(201) }), /^task\.type: 201 characters; the limit is 200/);
    rejects(() => checkNewTask({ type: 'a\nb' }), /^task\.type: contains control characters/);
    rejects(() => checkNewTask({ type: 'a\u007fb' }), /^task\.type: contains control characters/);
    rejects(() => checkTypeName('tab\there', 'job.kind'), /^job\.kind: contains control characters/);
  });

  it('rejects a task without any object', () => {
    rejects(() => checkNewTask(undefined as unknown as NewTask), /^task\.type: /);
  });

  it('refuses "local:" types and says what to enqueue instead', () => {
    rejects(() => checkNewTask({ type: 'local:resize' }), /^task\.type: "local:" only chains inside a drone; enqueue "resize" instead/);
  });

  it('checks the postback name like a type', () => {
    rejects(() => checkNewTask({ type: 'a', postback: '' }), /^task\.postback: expected a non-empty string/);
    rejects(() => checkNewTask({ type: 'a', postback: 'p'.repeat(201) }), /^task\.postback: 201 characters/);
  });

  it('rejects non-integer and out-of-range priorities', () => {
    rejects(() => checkNewTask({ type: 'a', priority: 1.5 }), /^task\.priority: expected an integer, got 1\.5/);
    rejects(() => checkNewTask({ type: 'a', priority: NaN }), /^task\.priority: expected an integer, got NaN/);
    rejects(() => checkNewTask({ type: 'a', priority: '3' as unknown as number }), /^task\.priority: expected an integer/);
    rejects(() => checkNewTask({ type: 'a', priority: 2 ** 31 }), /^task\.priority: out of range/);
  });

  it('rejects maxAttempts outside 1..1000 and bad runAt', () => {
    for (const bad of [0, -1, 1001, 2.5]) {
      rejects(() => checkNewTask({ type: 'a', maxAttempts: bad }), /^task\.maxAttempts: expected an integer from 1 to 1000/, new RegExp(`got ${bad}$`));
    }
    rejects(() => checkNewTask({ type: 'a', runAt: new Date('nope') }), /^task\.runAt: expected a valid Date/);
    rejects(() => checkNewTask({ type: 'a', runAt: '2030-01-01' as unknown as Date }), /^task\.runAt: /);
  });

  it('uses the given location prefix in messages', () => {
    rejects(() => checkNewTask({ type: 'a', data: 1n }, 'tasks[3]'), /^tasks\[3\]\.data: /);
    rejects(() => checkNewTask({ type: '' }, 'tasks[0]'), /^tasks\[0\]\.type: /);
  });

  it('retryDelayMs grows exponentially with the attempt', () => {
    const top = () => 1 - Number.EPSILON;
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => retryDelayMs(a, 100, 1e9, top)),
      [100, 200, 400, 800, 1600],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => retryDelayMs(a, 100, 1e9, () => 0)),
      [50, 100, 200, 400, 800],
    );
    assert.equal(
      retryDelayMs(3, 1000, 1e9, () => 0.5),
      3000,
    );
  });

  it('retryDelayMs stays between half and all of the exponential delay', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const exp = 250 * 2 ** (attempt - 1);
      for (const r of [0, 0.1, 0.37, 0.5, 0.9, 0.999999]) {
        const d = retryDelayMs(attempt, 250, 1e12, () => r);
        assert.ok(d >= exp / 2 && d <= exp, `attempt ${attempt}, random ${r}: ${d} not in [${exp / 2}, ${exp}]`);
        assert.ok(Number.isInteger(d));
      }
    }
  });

  it('retryDelayMs is capped at maxMs, even for huge attempt numbers', () => {
    assert.equal(
      retryDelayMs(20, 1000, 60_000, () => 0.999999),
      60_000,
    );
    assert.equal(
      retryDelayMs(20, 1000, 60_000, () => 0),
      30_000,
    );
    const d = retryDelayMs(1_000_000, 1000, 3_600_000, () => 0.999999);
    assert.ok(Number.isFinite(d) && d <= 3_600_000, String(d));
    assert.equal(
      retryDelayMs(0, 1000, 60_000, () => 0),
      500,
      'attempt 0 counts as the first',
    );
    assert.equal(retryDelayMs(5, 0, 60_000), 0);
  });
});
