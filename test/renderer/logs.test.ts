import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine } from '../../core/api/contract.js';
import { LogBuffer } from '../../renderer/src/lib/logBuffer.js';
import { LogView, NO_FILTER, isFiltering, logPredicate } from '../../renderer/src/lib/logFilter.js';

let t0 = 1_700_000_000_000;
function lines(from: number, to: number, extra: Partial<LogLine> = {}): LogLine[] {
  const out: LogLine[] = [];
  for (let seq = from; seq <= to; seq++) out.push({ seq, time: t0 + seq, level: 'info', msg: `line ${seq}`, ...extra });
  return out;
}

describe('log buffer', () => {
  it('keeps the newest lines up to its capacity, oldest dropped first', () => {
    const b = new LogBuffer(5);
    assert.equal(b.append(lines(1, 3)), 3);
    assert.deepEqual([b.start, b.end, b.size], [0, 3, 3]);
    assert.equal(b.append(lines(4, 12)), 9);
    assert.equal(b.size, 5);
    assert.deepEqual([b.start, b.end], [7, 12]);
    assert.equal(b.at(6), undefined);
    assert.deepEqual(
      [7, 8, 9, 10, 11].map((i) => b.at(i)?.seq),
      [8, 9, 10, 11, 12],
    );
    assert.equal(b.at(12), undefined);
  });

  it('skips lines it already has (logs.recent overlapping live events)', () => {
    const b = new LogBuffer(100);
    b.append(lines(1, 10));
    assert.equal(b.append(lines(5, 15)), 5);
    assert.deepEqual(
      Array.from({ length: b.size }, (_, i) => b.at(i)!.seq),
      lines(1, 15).map((l) => l.seq),
    );
  });

  it('takes a restarted sequence (lower seq, newer time) as new lines', () => {
    const b = new LogBuffer(100);
    b.append(lines(1, 50));
    t0 += 10_000;
    assert.equal(b.append(lines(1, 3)), 3);
    assert.equal(b.size, 53);
    assert.equal(b.at(52)!.seq, 3);
  });

  it('clear empties it but still recognises repeats', () => {
    const b = new LogBuffer(10);
    b.append(lines(1, 8));
    b.clear();
    assert.equal(b.size, 0);
    assert.equal(b.append(lines(7, 9)), 1);
    assert.equal(b.at(0)!.seq, 9);
  });

  it('holds 100,000 lines and stays bounded under 300,000', () => {
    const b = new LogBuffer();
    for (let i = 0; i < 30; i++) b.append(lines(i * 10_000 + 1, (i + 1) * 10_000));
    assert.equal(b.size, 100_000);
    assert.equal(b.at(b.start)!.seq, 200_001);
    assert.equal(b.at(b.end - 1)!.seq, 300_000);
  });
});

describe('log filters', () => {
  const line = (p: Partial<LogLine>): LogLine => ({ seq: 1, time: 0, level: 'info', msg: 'Claimed 5 tasks', ...p });

  it('filters by minimum level, worker (part, any case), task (exact) and text (any case)', () => {
    assert.equal(isFiltering(NO_FILTER), false);
    assert.equal(logPredicate({ ...NO_FILTER, level: 'warn' })(line({ level: 'info' })), false);
    assert.equal(logPredicate({ ...NO_FILTER, level: 'warn' })(line({ level: 'error' })), true);
    const byWorker = logPredicate({ ...NO_FILTER, worker: 'HEX' });
    assert.equal(byWorker(line({ worker: 'hexadecimal#2' })), true);
    assert.equal(byWorker(line({ worker: 'factorial' })), false);
    assert.equal(byWorker(line({})), false);
    const byTask = logPredicate({ ...NO_FILTER, task: ' 12 ' });
    assert.equal(byTask(line({ task: '12' })), true);
    assert.equal(byTask(line({ task: '123' })), false);
    assert.equal(logPredicate({ ...NO_FILTER, text: 'claimed' })(line({})), true);
    assert.equal(logPredicate({ ...NO_FILTER, text: 'failed' })(line({})), false);
  });

  it('a view follows the buffer incrementally: new matches appended, dropped ones removed', () => {
    const b = new LogBuffer(10);
    const v = new LogView(b, { ...NO_FILTER, worker: 'a' });
    b.append([...lines(1, 4, { worker: 'a' }), ...lines(5, 8, { worker: 'b' })]);
    v.sync();
    assert.equal(v.length, 4);
    assert.equal(v.added, 4);
    b.append(lines(9, 14, { worker: 'a' }));
    v.sync();
    // Buffer holds seq 5..14: the four "a" lines 1..4 fell off, six new ones came.
    assert.equal(v.length, 6);
    assert.equal(v.dropped, 4);
    assert.deepEqual(
      Array.from({ length: v.length }, (_, i) => v.line(i)!.seq),
      [9, 10, 11, 12, 13, 14],
    );
    v.setFilter({ ...NO_FILTER, worker: 'b' });
    assert.deepEqual(
      Array.from({ length: v.length }, (_, i) => v.line(i)!.seq),
      [5, 6, 7, 8],
    );
    assert.equal(v.added, 0);
    assert.equal(v.line(99), undefined);
  });

  it('filters 100,000 lines quickly and keeps up with a full ring rolling over', () => {
    const b = new LogBuffer();
    const v = new LogView(b);
    for (let i = 0; i < 15; i++) {
      b.append(lines(i * 10_000 + 1, (i + 1) * 10_000, { worker: i % 2 ? 'odd' : 'even' }));
      v.sync();
    }
    assert.equal(v.length, 100_000);
    assert.equal(v.line(0)!.seq, 50_001);
    const started = performance.now();
    v.setFilter({ ...NO_FILTER, worker: 'odd', text: 'line 1' });
    assert.ok(performance.now() - started < 500, 'a rescan of 100,000 lines takes well under half a second');
    for (let i = 0; i < v.length; i++) assert.ok(v.line(i)!.msg.startsWith('line 1') && v.line(i)!.worker === 'odd');
    assert.ok(v.length > 0);
  });
});
