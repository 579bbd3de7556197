import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonl, MAX_IMPORT_TASKS } from '../../renderer/src/lib/jsonl.js';
import { batchIndexes, namesLines, sendInBatches, sizeOf } from '../../renderer/src/lib/bulkSend.js';
import { readSchedule, type ScheduleFields } from '../../renderer/src/lib/schedule.js';
import {
  MAX_PER_SCOPE,
  TEMPLATES_KEY,
  deleteTemplate,
  loadTemplates,
  putTemplate,
  renameTemplate,
  saveTemplates,
  templateScope,
  type Template,
  type Templates,
} from '../../renderer/src/lib/templates.js';
import type { KeyValueStore } from '../../renderer/src/lib/recentPayloads.js';
import { parseDuration } from '../../core/api/contract.js';

describe('JSONL import', () => {
  it('a line is data, or a task object with "data" and only task keys; blank lines are skipped, lines keep their numbers', () => {
    const text = [
      '5',
      '',
      '{"type":"hexadecimal","data":"255","priority":3,"maxAttempts":2,"delayMs":1000}',
      '{"n":1}',
      '{"data":1,"extra":true}\r',
      ' "x" ',
    ].join('\n');
    const out = parseJsonl('\uFEFF' + text, 'factorial');
    assert.equal(out.problemCount, 0);
    assert.deepEqual(out.tasks, [
      { line: 1, type: 'factorial', data: 5 },
      { line: 3, type: 'hexadecimal', data: '255', priority: 3, maxAttempts: 2, delayMs: 1000 },
      { line: 4, type: 'factorial', data: { n: 1 } },
      { line: 5, type: 'factorial', data: { data: 1, extra: true } },
      { line: 6, type: 'factorial', data: 'x' },
    ]);
  });

  it('names the line (and column) of every problem and keeps the good lines apart', () => {
    const lines = [
      '1',
      '{"a":',
      '{"data":1,"priority":1.5}',
      '{"data":1,"maxAttempts":0}',
      '{"data":1,"type":""}',
      '{"data":1,"type":"local:x"}',
      '{"data":1,"delayMs":-1}',
      '2',
    ];
    const out = parseJsonl(lines.join('\n'), 'factorial');
    assert.deepEqual(
      out.tasks.map((t) => t.line),
      [1, 8],
    );
    assert.equal(out.problemCount, 6);
    assert.deepEqual(
      out.problems.map((p) => p.line),
      [2, 3, 4, 5, 6, 7],
    );
    assert.match(out.problems[0].message, /^not JSON: .* at column \d+$/);
    assert.match(out.problems[1].message, /"priority" must be a whole number/);
    assert.match(out.problems[2].message, /"maxAttempts" must be a whole number from 1 to 1000, got 0/);
    assert.match(out.problems[4].message, /"local:" only chains inside a drone; use "x"/);
  });

  it('without a type chosen, a data line says to choose one; a line bigger than 1 MiB of data is refused', () => {
    assert.match(parseJsonl('5', ' ').problems[0].message, /no task type/);
    const big = JSON.stringify('x'.repeat(1024 * 1024 + 1));
    const out = parseJsonl(`1\n${big}`, 't');
    assert.deepEqual(out.problems[0].line, 2);
    assert.match(out.problems[0].message, /bytes of JSON; a task's limit is 1048576/);
  });

  it('keeps the first 100 problems, counts all, and stops at the task limit', () => {
    const bad = parseJsonl(Array.from({ length: 250 }, () => '{').join('\n'), 't');
    assert.equal(bad.problems.length, 100);
    assert.equal(bad.problemCount, 250);
    const many = parseJsonl('1\n'.repeat(MAX_IMPORT_TASKS + 5), 't');
    assert.equal(many.tasks.length, MAX_IMPORT_TASKS);
    assert.match(many.problems[0].message, /more than 100,000 tasks/);
  });
});

describe('bulk sending', () => {
  it('batches by count and by bytes, an oversized item alone', () => {
    assert.deepEqual(batchIndexes([1, 1, 1, 1, 1], [0, 1, 2, 3, 4], { maxCount: 2, maxBytes: 100 }), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(batchIndexes([40, 40, 40, 500, 10], [0, 1, 2, 3, 4], { maxCount: 10, maxBytes: 100 }), [[0, 1], [2], [3], [4]]);
    assert.equal(sizeOf({ a: 'é' }), 10);
  });

  it('fills each slot in order, reports progress, stops at an error naming the line, and resumes with only what is left', async () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ line: i + 11, n: i }));
    const sent: number[][] = [];
    const progress: number[] = [];
    let failAt = 6;
    const opts = {
      items,
      sizes: items.map(sizeOf),
      maxCount: 3,
      maxBytes: 1e6,
      concurrency: 1,
      lineOf: (x: { line: number }) => x.line,
      onProgress: (done: number) => progress.push(done),
      isCancelled: () => false,
      send: async (batch: Array<{ n: number }>) => {
        if (batch.some((b) => b.n === failAt)) throw new Error(`tasks.enqueueMany: tasks[${batch.findIndex((b) => b.n === failAt)}].data: bad`);
        sent.push(batch.map((b) => b.n));
        return batch.map((b) => `id${b.n}`);
      },
    };
    const first = await sendInBatches(opts);
    assert.equal(first.error, 'tasks.enqueueMany: line 17.data: bad');
    assert.equal(first.cancelled, false);
    assert.deepEqual(first.results, ['id0', 'id1', 'id2', 'id3', 'id4', 'id5', undefined, undefined, undefined, undefined]);
    assert.deepEqual(progress, [0, 3, 6]);
    failAt = -1;
    const second = await sendInBatches({ ...opts, results: first.results });
    assert.equal(second.error, null);
    assert.deepEqual(sent, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]], 'nothing sent twice');
    assert.equal(second.results.filter((r) => r !== undefined).length, 10);
  });

  it('a cancel stops between batches; with several in flight each answer still lands in its slot', async () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    let calls = 0;
    const out = await sendInBatches({
      items,
      sizes: items.map(sizeOf),
      maxCount: 2,
      maxBytes: 1e6,
      concurrency: 3,
      lineOf: (x) => x + 1,
      onProgress: () => {},
      isCancelled: () => calls >= 4,
      send: async (batch) => {
        calls++;
        await new Promise((r) => setTimeout(r, batch[0] % 3));
        return batch.map((n) => n * 10);
      },
    });
    assert.equal(out.cancelled, true);
    assert.ok(calls >= 4 && calls <= 6, `${calls} calls`);
    out.results.forEach((r, i) => r !== undefined && assert.equal(r, i * 10));
    assert.equal(namesLines('tasks[0].x; tasks[9].y', [5]), 'line 5.x; tasks[9].y');
  });
});

describe('scheduling', () => {
  const f = (patch: Partial<ScheduleFields>): ScheduleFields => ({ mode: 'now', delay: '30', unit: 's', at: '', ...patch });
  const now = new Date(2026, 0, 1, 12, 0, 0).getTime();

  it('now, a delay in units, a local time (in the past: now)', () => {
    assert.deepEqual(readSchedule(f({}), now), { ok: true });
    assert.deepEqual(readSchedule(f({ mode: 'delay', delay: '1.5', unit: 'm' }), now), { ok: true, delayMs: 90_000 });
    assert.deepEqual(readSchedule(f({ mode: 'at', at: '2026-01-01T12:05' }), now), { ok: true, runAt: now + 300_000 });
    assert.deepEqual(readSchedule(f({ mode: 'at', at: '2025-12-31T12:05' }), now), { ok: true, past: true });
  });

  it('says which field is wrong', () => {
    assert.deepEqual(readSchedule(f({ mode: 'delay', delay: '-1' }), now), { ok: false, message: 'Delay: a number of seconds from 0 to 366 days' });
    assert.deepEqual(readSchedule(f({ mode: 'delay', delay: '9000', unit: 'h' }), now), { ok: false, message: 'Delay: a number of hours from 0 to 366 days' });
    assert.deepEqual(readSchedule(f({ mode: 'at', at: '' }), now), { ok: false, message: 'Run at: choose a date and time' });
    assert.deepEqual(readSchedule(f({ mode: 'at', at: '2028-01-01T00:00' }), now), { ok: false, message: 'Run at: at most 366 days ahead' });
  });

  it('the CLI reads durations with units; a bare number is milliseconds', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('2d'), 172_800_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('600000'), 600_000);
    for (const bad of ['', '5 minutes', '-1s', 'm', '1e3']) assert.equal(parseDuration(bad), null, bad);
  });
});

describe('enqueue templates', () => {
  const memory = (): KeyValueStore & { data: Map<string, string> } => {
    const data = new Map<string, string>();
    return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
  };
  const tpl = (name: string, text = '5'): Template => ({
    name,
    text,
    options: { count: '1', priority: '', maxAttempts: '', postback: '', delay: '', delayUnit: 's' },
    savedAt: 1,
  });
  const put = (all: Templates, scope: string, t: Template): Templates => {
    const c = putTemplate(all, scope, t);
    assert.ok(c.ok, !c.ok ? c.message : '');
    return c.all;
  };
  const a = templateScope('/srv/a/swarmage.config.json', 'factorial');
  const b = templateScope('/srv/b/swarmage.config.json', 'factorial');

  it('per drone and type: save, overwrite by name, rename, delete', () => {
    let all = put({}, a, tpl(' small ', '5'));
    all = put(all, a, tpl('big', '500'));
    all = put(all, a, tpl('small', '6'));
    all = put(all, b, tpl('other drone'));
    assert.deepEqual(
      all[a].map((t) => [t.name, t.text]),
      [
        ['small', '6'],
        ['big', '500'],
      ],
    );
    assert.deepEqual(
      all[b].map((t) => t.name),
      ['other drone'],
    );
    const renamed = renameTemplate(all, a, 'big', 'huge');
    assert.ok(renamed.ok);
    assert.deepEqual(
      renamed.all[a].map((t) => t.name),
      ['small', 'huge'],
    );
    assert.deepEqual(renameTemplate(all, a, 'big', 'small'), { ok: false, message: 'Template name: "small" exists; delete it first or pick another name' });
    assert.deepEqual(putTemplate(all, a, tpl('  ')), { ok: false, message: 'Template name: give it a name' });
    all = deleteTemplate(all, a, 'small');
    all = deleteTemplate(all, a, 'big');
    assert.equal(all[a], undefined);
    assert.ok(all[b]);
  });

  it('bounded per type and in size', () => {
    let all: Templates = {};
    for (let i = 0; i < MAX_PER_SCOPE; i++) all = put(all, a, tpl(`t${i}`));
    assert.deepEqual(putTemplate(all, a, tpl('one more')), { ok: false, message: 'Template: at most 50 per type; delete one first' });
    assert.ok(putTemplate(all, a, tpl('t3', '7')).ok, 'overwriting is still allowed');
    assert.match((putTemplate({}, a, tpl('huge', 'x'.repeat(70_000))) as { message: string }).message, /at most 65536/);
  });

  it('round trips through storage; corrupt storage is ignored with a warning, never thrown', () => {
    const store = memory();
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const all = put({}, a, tpl('x'));
    assert.equal(saveTemplates(store, all, warn), true);
    assert.deepEqual(loadTemplates(store, warn), all);
    store.data.set(TEMPLATES_KEY, '{nope');
    assert.deepEqual(loadTemplates(store, warn), {});
    store.data.set(TEMPLATES_KEY, JSON.stringify({ [a]: [tpl('good'), { name: 'no text' }, 7], [b]: 'not a list' }));
    assert.deepEqual(
      loadTemplates(store, warn)[a].map((t) => t.name),
      ['good'],
    );
    assert.equal(warnings.length, 2);
    assert.match(warnings[1], /ignored 3 malformed/);
    const full: KeyValueStore = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    assert.equal(saveTemplates(full, all, warn), false);
    assert.equal(saveTemplates(null, all, warn), false);
    assert.deepEqual(loadTemplates(null, warn), {});
  });
});
