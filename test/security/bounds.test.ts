/**
 * No single client or worker can grow the drone without bound or stall it: huge worker output,
 * huge error messages and a long history each leave a real drone serving, with what it keeps cut
 * to known limits.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import type pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { call, startService } from '../helpers/service.js';
import { FIXTURES, waitFor } from '../helpers/tmp.js';
import type { DroneService } from '../../core/service/droneService.js';
import type { Snapshot, TaskRow } from '../../core/api/contract.js';
import { Logger, LogRing } from '../../core/log/logger.js';
import { readBoundedLines } from '../../core/workers/lineReader.js';
import { CUT_MARKER_BYTES, MAX_ERROR_BYTES, MAX_LOG_LINE_BYTES, MAX_STACK_BYTES } from '../../core/util/truncate.js';

const MiB = 1024 * 1024;
/** What a cut text keeps of itself: its limit less the room for the marker. */
const kept = (limit: number) => limit - CUT_MARKER_BYTES;

const counts = async (service: DroneService, type: string) => {
  const snap = (await call(service, 'drone.snapshot', {})) as Snapshot;
  const t = snap.drone!.types.find((x) => x.type === type)!;
  return { done: t.done, failed: t.failed };
};

describe('the line reader for worker stdout and stderr', () => {
  it('keeps at most its limit of a line however long it runs without a newline, and says how much it cut', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    readBoundedLines(stream, 1024, (l) => lines.push(l));
    const chunk = Buffer.alloc(MiB, 'a');
    const heapBefore = process.memoryUsage().heapUsed;
    // 200 MiB of one line: readline would hold all of it as a string until the newline.
    for (let i = 0; i < 200; i++) {
      stream.write(chunk);
      await new Promise((r) => setImmediate(r));
    }
    const grown = process.memoryUsage().heapUsed - heapBefore;
    console.log(`# heap grew by ${(grown / MiB).toFixed(1)} MiB while 200 MiB of one line went through`);
    assert.ok(grown < 50 * MiB, `the heap grew by ${(grown / MiB).toFixed(0)} MiB`);
    assert.equal(lines.length, 0, 'no line before its newline');
    stream.end(Buffer.from(`\nshort\r\n${'€'.repeat(1000)}\nlast`));
    await new Promise((r) => stream.on('end', r));
    assert.equal(lines.length, 4);
    assert.deepEqual([lines[1], lines[3]], ['short', 'last'], 'lines after a cut one come whole; CRLF and the last unended line too');
    assert.equal(lines[0], `${'a'.repeat(kept(1024))}… (${200 * MiB - kept(1024)} bytes cut)`);
    assert.equal(lines[2], `${'€'.repeat(330)}… (${3000 - 330 * 3} bytes cut)`, 'whole characters only; the count includes the split one');
    assert.ok(lines.every((l) => Buffer.byteLength(l) <= 1024));
  });
});

describe('the in-memory log ring', () => {
  it('is bounded in bytes as well as lines, dropping the oldest; recent() pages by seq across its compactions', () => {
    const ring = new LogRing(10_000, MiB);
    const log = new Logger('debug', [ring]);
    for (let i = 0; i < 3000; i++) log.info(`${i}:${'x'.repeat(i % 10 === 0 ? 12_000 : 10)}`);
    assert.ok(ring.bytes <= MiB, `${ring.bytes} bytes`);
    assert.ok(ring.size < 3000, 'the oldest went, though fewer than 10,000 lines were written');
    const all = ring.recent();
    assert.equal(all.length, ring.size);
    assert.equal(all.at(-1)!.msg.split(':')[0], '2999', 'the newest stay');
    assert.ok(
      all.every((l, i) => i === 0 || l.seq === all[i - 1].seq + 1),
      'in order, none missing in between',
    );
    const after = all[all.length - 10].seq;
    assert.deepEqual(
      ring.recent(5, after).map((l) => l.seq),
      all.slice(-5).map((l) => l.seq),
      'the newest 5 after a seq',
    );
    assert.equal(ring.recent(100, after).length, 9);
    // One line over the whole cap: cut by the logger first, so it fits and the ring keeps it.
    log.info('w'.repeat(5 * MiB));
    assert.ok(ring.recent(1)[0].msg.startsWith('www'));
    assert.ok(ring.bytes <= MiB);
  });
});

describe('bounded memory and CPU inside the drone', () => {
  let service: DroneService;
  let dir: string;
  let sql: pg.Client;
  const schema = freshSchema();

  before(async () => {
    const url = await testDatabaseUrl();
    ({ service, dir } = await startService(url, schema, {
      workers: {
        factorial: { module: './workers/factorial.js', concurrency: 4 },
        hexadecimal: { module: './workers/hexadecimal.js', concurrency: 4 },
        loud: { module: path.join(FIXTURES, 'workers/loud.js') },
        failing: { module: path.join(FIXTURES, 'workers/fails-big.js'), concurrency: 4 },
      },
      log: { file: 'drone.log' },
    }));
    sql = await sqlClient(url);
  });
  after(async () => {
    await service.stop();
    await sql.end();
  });

  it('a worker printing 50 MB as 1 MB lines (stdout, stderr, ctx.log): tasks finish, the drone serves, what it keeps is cut', async () => {
    const rssBefore = process.memoryUsage().rss;
    // 5 tasks × (4 lines on stdout + 4 on stderr + 1 ctx.log) of 1 MiB: about 45 MiB, plus the rest below.
    await call(service, 'tasks.enqueue', { type: 'loud', data: { lines: 4, bytes: MiB }, count: 5 });
    await call(service, 'tasks.enqueue', { type: 'loud', data: { lines: 1, bytes: 5 * MiB }, count: 1 });
    await waitFor('the loud tasks done', async () => (await counts(service, 'loud')).done === 6, 120_000);
    const snap = (await call(service, 'drone.snapshot', {})) as Snapshot;
    assert.equal(snap.app.state, 'running', 'still serving');

    const loud = service.ring.recent().filter((l) => l.worker === 'loud');
    assert.ok(loud.length >= 6 * 3, `the lines are there (${loud.length})`);
    for (const l of loud) assert.ok(Buffer.byteLength(l.msg) <= MAX_LOG_LINE_BYTES, `a line of ${l.msg.length} characters`);
    const stdoutLine = loud.find((l) => l.level === 'info' && l.msg.startsWith('y'));
    assert.equal(stdoutLine!.msg, `${'y'.repeat(kept(MAX_LOG_LINE_BYTES))}… (${MiB - kept(MAX_LOG_LINE_BYTES)} bytes cut)`);
    assert.ok(
      loud.some((l) => l.level === 'warn' && /^y+… \(\d+ bytes cut\)$/.test(l.msg)),
      'stderr lines cut too',
    );
    assert.ok(
      loud.some((l) => l.msg === `${'z'.repeat(kept(MAX_LOG_LINE_BYTES))}… (${MiB - kept(MAX_LOG_LINE_BYTES)} bytes cut)`),
      'ctx.log lines cut too (once: the count is of the original)',
    );
    assert.ok(
      loud.some((l) => l.msg.endsWith(`(${5 * MiB - kept(MAX_LOG_LINE_BYTES)} bytes cut)`)),
      'a 5 MiB line: cut the same',
    );
    assert.ok(service.ring.bytes <= service.ring.maxBytes, `the ring holds ${service.ring.bytes} bytes`);

    const grown = process.memoryUsage().rss - rssBefore;
    console.log(`# RSS grew by ${(grown / MiB).toFixed(1)} MiB while the worker printed ~50 MiB`);
    assert.ok(grown < 250 * MiB, `RSS grew by ${(grown / MiB).toFixed(0)} MiB`);
  });

  it('300 failing tasks with 200 KB error messages: errors are recorded cut (local queue and Postgres), the log stays small', async () => {
    const { ids } = await call(service, 'tasks.enqueue', { type: 'failing', data: { bytes: 200_000 }, count: 300, maxAttempts: 1 });
    await waitFor(
      '300 failed rows in Postgres',
      async () => (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE type = 'failing' AND state = 'failed'`)).rows[0].n === 300,
      120_000,
    );
    const failed = await call(service, 'failed.list', { type: 'failing', limit: 1000 });
    assert.equal(failed.length, 300);
    for (const f of failed) {
      assert.equal(f.lastError, `${'E'.repeat(kept(MAX_ERROR_BYTES))}… (${200_000 - kept(MAX_ERROR_BYTES)} bytes cut)`);
      assert.ok(Buffer.byteLength(f.lastErrorStack!) <= MAX_STACK_BYTES, `a stack of ${f.lastErrorStack!.length}`);
      assert.match(f.lastErrorStack!, /^Error: E+… \(\d+ bytes cut\)$/);
    }
    const trace = await call(service, 'tasks.trace', { traceId: ids[0] });
    assert.equal(trace!.steps[0].error, failed[0].lastError, 'the local queue recorded the same cut error');
    assert.equal(trace!.steps[0].stack, failed[0].lastErrorStack);

    const warned = service.ring.recent().filter((l) => /^task failed/.test(l.msg) && l.type === 'failing');
    assert.equal(warned.length, 300);
    for (const l of warned) assert.ok(l.msg.length <= MAX_ERROR_BYTES + 100, `a log line of ${l.msg.length}`);
    const logFile = fs.statSync(path.join(dir, 'drone.log')).size;
    console.log(`# log file ${(logFile / MiB).toFixed(1)} MiB after 300 × 200 KB errors (uncut: about 60 MiB)`);
    assert.ok(logFile < 10 * MiB, `the log file is ${logFile} bytes`);
  });

  it('tasks.search over a long history answers in pages, each examining a bounded part, without holding the event loop', async () => {
    await call(service, 'tasks.enqueue', { type: 'factorial', data: 5, count: 6000 });
    // Each a chain of two steps (factorial, then hexadecimal): about 12,000 steps of history.
    await waitFor('6000 factorial chains done', async () => (await counts(service, 'hexadecimal')).done >= 6000, 300_000);

    // A condition nothing matches: every page answers, with no rows, until the history ends.
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    // Called from a timer, not from inside the handling of the local queue thread's messages (where
    // waitFor's last check left us): Node drains a port's messages in one go, so a reply that came
    // in during that batch would be handled before the loop could turn, however asynchronous the call.
    await new Promise((r) => setTimeout(r, 0));
    let turned = false;
    setImmediate(() => (turned = true));
    const first = call(service, 'tasks.search', { where: { path: '$.nothing', op: 'exists' }, limit: 50 });
    assert.equal(turned, false);
    const page = await first;
    assert.equal(turned, true, 'the event loop turned while the search ran (an asynchronous call)');
    delay.disable();
    console.log(`# event-loop delay during one search page: max ${(delay.max / 1e6).toFixed(1)} ms`);
    assert.deepEqual(page.rows, []);
    assert.ok(page.next !== null, 'a page stops before the oldest of ~12,000 steps and says where to go on');
    let pages = 1;
    for (let next: number | null = page.next; next !== null; pages++) {
      const p: { rows: TaskRow[]; next: number | null } = await call(service, 'tasks.search', {
        where: { path: '$.nothing', op: 'exists' },
        limit: 50,
        before: next,
      });
      assert.deepEqual(p.rows, []);
      assert.ok(p.next === null || p.next < next, 'each page goes further back');
      next = p.next;
    }
    assert.ok(pages >= 2, `${pages} pages`);

    // A filter on the chain (state): the pages together find every failed task, once each.
    const failed1024 = 'E'.repeat(1024);
    const seen: TaskRow[] = [];
    for (let next: number | null | undefined; next !== null;) {
      const p = await call(service, 'tasks.search', next === undefined ? { state: 'failed', limit: 500 } : { state: 'failed', limit: 500, before: next });
      seen.push(...p.rows);
      next = p.next;
    }
    assert.equal(seen.length, 300, JSON.stringify([...new Set(seen.map((r) => r.type + ':' + r.state))]));
    assert.equal(new Set(seen.map((r) => r.traceId)).size, 300);
    assert.ok(
      seen.every((r, i) => i === 0 || r.stepId < seen[i - 1].stepId),
      'newest first',
    );
    assert.ok(
      seen.every((r) => r.error === failed1024),
      'rows carry an error preview',
    );

    // Plain paging: full pages follow each other by keyset.
    const p1 = await call(service, 'tasks.search', { limit: 100 });
    assert.equal(p1.rows.length, 100);
    assert.equal(p1.next, p1.rows[99].stepId);
    const p2 = await call(service, 'tasks.search', { limit: 100, before: p1.next! });
    assert.equal(p2.rows.length, 100);
    assert.ok(p2.rows[0].stepId < p1.rows[99].stepId);
  });
});
