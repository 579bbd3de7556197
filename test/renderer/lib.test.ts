import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reconnectDelayMs, retryText, secondsUntil } from '../../renderer/src/lib/backoff.js';
import { marksByLine, problemSpan } from '../../renderer/src/lib/editorLines.js';
import {
  errorWithStack,
  formatClock,
  formatCount,
  formatDuration,
  formatRate,
  formatTimeOfDay,
  fraction,
  plural,
  prettyJson,
  prettyJsonText,
} from '../../renderer/src/lib/format.js';
import { RECENT_KEY, addRecent, loadRecent, saveRecent, type KeyValueStore } from '../../renderer/src/lib/recentPayloads.js';
import { ShortcutReader } from '../../renderer/src/lib/shortcuts.js';
import { sparklinePoints } from '../../renderer/src/lib/sparkline.js';
import { socketUrl } from '../../renderer/src/lib/token.js';

describe('formatting', () => {
  it('durations read naturally at every scale', () => {
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(12_345), '12 s');
    assert.equal(formatDuration(2_345), '2.3 s');
    assert.equal(formatDuration(245_000), '4 m 05 s');
    assert.equal(formatDuration(2 * 3600_000 + 3 * 60_000), '2 h 03 m');
    assert.equal(formatDuration(3 * 86_400_000 + 4 * 3600_000), '3 d 4 h');
    assert.equal(formatDuration(-1), '—');
  });

  it('rates, fractions, plurals, JSON', () => {
    assert.equal(formatRate(0), '0');
    assert.equal(formatRate(2.25), '2.3');
    assert.equal(formatRate(123.4), '123');
    assert.equal(fraction(5, 10), 0.5);
    assert.equal(fraction(20, 10), 1);
    assert.equal(fraction(1, 0), 1);
    assert.equal(fraction(0, 0), 0);
    assert.equal(plural(1, 'task'), '1 task');
    assert.equal(plural(2, 'task'), '2 tasks');
    assert.equal(formatCount(1234), '1,234');
    assert.equal(formatCount(10_000, true), '10,000+', 'a lower bound');
    assert.equal(prettyJson(undefined), 'null');
    assert.equal(prettyJson({ a: 1 }), '{\n  "a": 1\n}');
    assert.equal(prettyJsonText('{"a":1}'), '{\n  "a": 1\n}');
    assert.equal(prettyJsonText('{"cut'), '{"cut', 'text cut to a bound is shown as it is');
  });

  it('times of day, to the second or to the millisecond', () => {
    const t = new Date(2026, 0, 1, 9, 5, 7, 42).getTime();
    assert.equal(formatTimeOfDay(t), '09:05:07');
    assert.equal(formatClock(t), '09:05:07.042');
  });

  it('an error: a stack that starts with the message stands alone; otherwise both', () => {
    assert.equal(errorWithStack('boom', 'Error: boom\n    at x'), 'Error: boom\n    at x');
    assert.equal(errorWithStack('boom', 'at x'), 'boom\n\nat x');
    assert.equal(errorWithStack('boom', null), 'boom');
    assert.equal(errorWithStack(null, null), '—');
  });
});

describe('recent payloads', () => {
  const memory = (): KeyValueStore & { data: Map<string, string> } => {
    const data = new Map<string, string>();
    return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
  };

  it('keeps the last 20 per type, newest first, without repeats', () => {
    let all = {};
    for (let i = 0; i < 25; i++) all = addRecent(all, 'factorial', String(i));
    all = addRecent(all, 'factorial', ' 10 ');
    const list = (all as Record<string, string[]>).factorial;
    assert.equal(list.length, 20);
    assert.deepEqual(list.slice(0, 3), ['10', '24', '23']);
    assert.equal(list.filter((p) => p === '10').length, 1);
    assert.equal(addRecent(all, 'factorial', '   '), all, 'empty text is not remembered');
  });

  it('survives a round trip through storage and ignores garbage in it', () => {
    const store = memory();
    saveRecent(store, addRecent({}, 'hex', '{"n":1}'));
    assert.deepEqual(loadRecent(store), { hex: ['{"n":1}'] });
    store.data.set(RECENT_KEY, '{not json');
    assert.deepEqual(loadRecent(store), {});
    store.data.set(RECENT_KEY, JSON.stringify({ hex: ['a', 3, 'b'], bad: 'x' }));
    assert.deepEqual(loadRecent(store), { hex: ['a', 'b'] });
    assert.deepEqual(loadRecent(null), {});
  });
});

describe('small helpers', () => {
  it('backoff doubles up to a cap, with jitter', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((a) => reconnectDelayMs(a, () => 0.5)),
      [500, 1000, 2000, 4000],
    );
    assert.equal(
      reconnectDelayMs(20, () => 0.5),
      15_000,
    );
    assert.equal(
      reconnectDelayMs(0, () => 0),
      400,
    );
    assert.equal(secondsUntil(2500, 1000), 2);
    assert.equal(secondsUntil(0, 1000), 0);
    assert.equal(retryText(5000, 1000), 'retrying in 4 s');
    assert.equal(retryText(500, 1000), 'retrying now');
    assert.equal(retryText(null, 1000), 'retrying');
  });

  it('builds the socket URL from the page, with no token in it (the login cookie carries it)', () => {
    assert.equal(socketUrl('https:', 'h:1'), 'wss://h:1/api');
    assert.equal(socketUrl('http:', 'h:1'), 'ws://h:1/api');
  });

  it('shortcuts: digits, "g" then a letter, ? and Escape', () => {
    const r = new ShortcutReader();
    assert.deepEqual(r.feed('6', 0), { kind: 'view', view: 'logs' });
    assert.deepEqual(r.feed('2', 0), { kind: 'view', view: 'pipeline' });
    assert.equal(r.feed('g', 0), null);
    assert.deepEqual(r.feed('f', 100), { kind: 'view', view: 'failures' });
    assert.deepEqual(r.feed('0', 0), { kind: 'view', view: 'queue' }, '0 comes after 9, as on the keyboard');
    assert.equal(r.feed('g', 0), null);
    assert.deepEqual(r.feed('d', 100), { kind: 'view', view: 'fleet' }, 'the view past the digits has its letter');
    assert.equal(r.feed('g', 0), null);
    assert.equal(r.feed('f', 5000), null, 'a "g" long ago is forgotten');
    assert.deepEqual(r.feed('?', 0), { kind: 'help' });
    assert.deepEqual(r.feed('Escape', 0), { kind: 'close' });
    assert.equal(r.feed('x', 0), null);
  });

  it('sparkline points scale to the box', () => {
    assert.equal(sparklinePoints([0, 2, 4], 100, 20), '0,20 50,10 100,0');
    assert.equal(sparklinePoints([0, 0], 100, 20), '0,20 100,20');
    assert.equal(sparklinePoints([], 100, 20), '');
  });

  it('editor problem markers underline the token at the checker’s column, or the whole line without one', () => {
    const line = '  "maxPerWorker": "lots",';
    const at = (col: number | null) => {
      const s = problemSpan(line, col);
      return line.slice(s.start, s.end);
    };
    assert.equal(at(19), '"lots"');
    assert.equal(at(3), '"maxPerWorker"');
    assert.equal(at(null), line);
    assert.equal(at(999), '', 'past the end: the line end');
    assert.equal(problemSpan('"unterminated', 1).end, 13);
  });

  it('editor problem markers group by line, errors before warnings', () => {
    const m = marksByLine([
      { line: 2, column: 1, message: 'w', severity: 'warning' },
      { line: 2, column: 3, message: 'e', severity: 'error' },
    ]);
    assert.equal(m.get(2)![0].severity, 'error');
  });
});
