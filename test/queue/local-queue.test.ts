import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LocalQueue } from '../../core/queue/local/localQueue.js';
import { LocalQueueError, type Finished, type Step } from '../../core/queue/local/types.js';
import { LocalQueueHere, LocalQueueThread, type DroneLocalQueue } from '../../core/queue/local/localQueueThread.js';
import type { ClaimedTask } from '../../core/queue/types.js';
import { tmpDir } from '../helpers/tmp.js';

const opened: LocalQueue[] = [];
after(() => {
  for (const q of opened) q.close();
});

function open(file: string): LocalQueue {
  const q = new LocalQueue(file);
  opened.push(q);
  return q;
}

function fresh(): { file: string; q: LocalQueue } {
  const file = path.join(tmpDir('swarmage-local-'), 'local.sqlite');
  return { file, q: open(file) };
}

function task(id: string, over: Partial<ClaimedTask> = {}): ClaimedTask {
  return { id, type: 'resize', dataJson: `{"n":${id}}`, postback: null, attempt: 1, maxAttempts: 5, priority: 0, createdAt: 1_700_000_000_000 + Number(id), ...over };
}

/** Finished entries without their finishing time (asserted to be one). */
function untimed(list: Finished[]): Array<Omit<Finished, 'finishedAt'>> {
  return list.map(({ finishedAt, ...f }) => {
    assert.equal(typeof finishedAt, 'number');
    return f;
  });
}

function lqError(fn: () => unknown): LocalQueueError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LocalQueueError, `expected a LocalQueueError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a LocalQueueError');
}

describe('LocalQueue (SQLite)', () => {
  it('returns inserted claimed tasks from queued() in insertion order, with every field', () => {
    const { q } = fresh();
    const steps = q.insertClaimed([task('30', { postback: 'reply', attempt: 2, maxAttempts: 3 }), task('10'), task('20', { type: 'thumb' })]);
    assert.deepEqual(steps.map((s) => s.rootId), ['30', '10', '20']);
    const queued = q.queued();
    assert.deepEqual(queued, steps);
    assert.deepEqual(queued.map((s) => s.rootId), ['30', '10', '20']);
    const first = queued[0];
    assert.equal(first.parentId, null);
    assert.equal(first.type, 'resize');
    assert.equal(first.dataJson, '{"n":30}');
    assert.equal(first.postback, 'reply');
    assert.equal(first.attempt, 2);
    assert.equal(first.maxAttempts, 3);
    assert.equal(first.createdAt, 1_700_000_000_030);
    assert.ok(queued[0].id < queued[1].id && queued[1].id < queued[2].id);
    assert.deepEqual(queued.map((s) => s.type).sort(), ['resize', 'resize', 'thumb']);
    assert.deepEqual(q.heldRootIds().sort(), ['10', '20', '30']);
  });

  it('keeps data text verbatim (no parse and re-serialise)', () => {
    const { q } = fresh();
    const dataJson = '{ "b" : 1.50, "a":"\\u00e9" }';
    q.insertClaimed([task('1', { dataJson })]);
    assert.equal(q.queued()[0].dataJson, dataJson);
  });

  it('a hop creates a child step with parentId and the same rootId, and the parent leaves the queue', () => {
    const { q } = fresh();
    const [root] = q.insertClaimed([task('7', { postback: 'pb', attempt: 3 })]);
    const { created: [child], finished } = q.record([{ kind: 'hop', step: root, nextType: 'local:stage2', nextDataJson: '[1,2]' }]);
    assert.deepEqual(finished, []);
    assert.deepEqual(child.chain, [root.id]);
    assert.equal(child.rootId, '7');
    assert.equal(child.parentId, root.id);
    assert.equal(child.type, 'local:stage2');
    assert.equal(child.dataJson, '[1,2]');
    assert.equal(child.postback, 'pb');
    assert.equal(child.attempt, 3);
    assert.notEqual(child.id, root.id);
    assert.deepEqual(q.queued(), [child]);
    assert.deepEqual(q.finished(10), [], 'a hopped chain is not finished');
    assert.deepEqual(q.heldRootIds(), ['7']);
  });

  it('records done and failed outcomes; finished() lists them with result and error', () => {
    const { q } = fresh();
    const [a, b, c] = q.insertClaimed([task('1'), task('2'), task('3')]);
    const { created: [a2] } = q.record([{ kind: 'hop', step: a, nextType: 'local:next', nextDataJson: '"x"' }]);
    const { created, finished } = q.record([
      { kind: 'done', step: a2, resultJson: '{"ok":true}' },
      { kind: 'failed', step: b, error: 'boom', stack: 'Error: boom\n    at x', retryInMs: 1234.6 },
    ]);
    assert.deepEqual(created, []);
    assert.deepEqual(q.queued().map((s) => s.id), [c.id]);
    const failedB = { rootId: '2', type: 'resize', stepIds: [b.id], postback: null, state: 'failed', resultJson: null, error: 'boom', stack: 'Error: boom\n    at x', retryInMs: 1235 };
    const doneA = { rootId: '1', type: 'local:next', stepIds: [a.id, a2.id], postback: null, state: 'done', resultJson: '{"ok":true}', error: null, stack: null, retryInMs: 0 };
    assert.deepEqual(untimed(finished), [doneA, failedB], 'record() hands back the chains that ended, with every step id of each');
    assert.deepEqual(untimed(q.finished(10)), [failedB, doneA], 'finished() reads the same from the file (after a restart), in step order');
    assert.equal(q.finished(1).length, 1);
  });

  it('forget() removes whole chains, including hopped steps, and nothing else', () => {
    const { q } = fresh();
    const [a, b] = q.insertClaimed([task('1'), task('2')]);
    const { created: [a2] } = q.record([{ kind: 'hop', step: a, nextType: 'local:n', nextDataJson: '1' }]);
    q.record([{ kind: 'done', step: a2, resultJson: '1' }]);
    q.forget(['1', 'unknown']);
    assert.deepEqual(q.heldRootIds(), ['2']);
    assert.deepEqual(q.finished(10), []);
    assert.deepEqual(q.queued().map((s) => s.id), [b.id]);
    q.forget([]);
    assert.deepEqual(q.heldRootIds(), ['2']);
  });

  it('keeps queued and finished steps across close and reopen', () => {
    const { file, q } = fresh();
    const [a, b] = q.insertClaimed([task('1'), task('2')]);
    const { created: [a2] } = q.record([{ kind: 'hop', step: a, nextType: 'local:n', nextDataJson: '{"deep":[1]}' }]);
    q.record([{ kind: 'failed', step: b, error: 'e', stack: null, retryInMs: 50 }]);
    const before: Step[] = q.queued();
    q.close();
    const again = open(file);
    assert.deepEqual(again.queued(), before);
    assert.deepEqual(again.queued(), [a2]);
    assert.deepEqual(untimed(again.finished(10)), [{ rootId: '2', type: 'resize', stepIds: [b.id], postback: null, state: 'failed', resultJson: null, error: 'e', stack: null, retryInMs: 50 }]);
    assert.deepEqual(again.heldRootIds().sort(), ['1', '2'], 'the chains held are known again after reopening');
    // New steps continue after the old ones.
    const [c] = again.insertClaimed([task('3')]);
    assert.ok(c.id > a2.id);
    // A claim of one task is written without a transaction of its own: it is kept all the same.
    again.close();
    const third = open(file);
    assert.deepEqual(third.queued(), [a2, c]);
    assert.deepEqual(third.heldRootIds().sort(), ['1', '2', '3']);
  });

  it('ack() turns chains into history: no longer held or finished, still in the file with every step', () => {
    const { file, q } = fresh();
    const [a, b] = q.insertClaimed([task('1'), task('2')]);
    const { created: [a2] } = q.record([{ kind: 'hop', step: a, nextType: 'local:n', nextDataJson: '2', startedAt: 1000 }]);
    const { finished } = q.record([{ kind: 'done', step: a2, resultJson: '"r"', startedAt: 2000 }]);
    q.ack(finished);
    assert.deepEqual(q.heldRootIds(), ['2']);
    assert.deepEqual(q.finished(), []);
    assert.deepEqual(q.queued().map((s) => s.id), [b.id]);
    q.close();
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT id, state, started_at, acked_at IS NOT NULL AS acked FROM steps ORDER BY id').all();
      assert.deepEqual(rows, [
        { id: a.id, state: 'hopped', started_at: 1000, acked: 1 },
        { id: b.id, state: 'queued', started_at: null, acked: 0 },
        { id: a2.id, state: 'done', started_at: 2000, acked: 1 },
      ]);
    } finally {
      db.close();
    }
    assert.deepEqual(open(file).heldRootIds(), ['2'], 'acknowledged chains are not held after a restart either');
  });

  it('prune() drops the oldest acknowledged steps beyond keepSteps or keepMs, never unacknowledged ones; ids never repeat', () => {
    const { file, q } = fresh();
    const steps = q.insertClaimed(Array.from({ length: 10 }, (_, i) => task(String(i + 1))));
    const { finished } = q.record(steps.slice(0, 8).map((step) => ({ kind: 'done' as const, step, resultJson: 'null' })));
    q.ack(finished);
    // keepSteps 5 of 10 ids: the acknowledged among the 5 oldest go (ids 1–5).
    assert.equal(q.prune({ keepSteps: 5, keepMs: 3_600_000 }), 5);
    assert.equal(q.pruneToCount(5), 0, 'nothing more to drop');
    // An age limit drops every acknowledged step older than it, in batches; queued ones (9, 10) stay.
    assert.equal(q.pruneByAge(0, Date.now() + 1, 2), 2);
    assert.equal(q.prune({ keepSteps: 100, keepMs: 0 }, Date.now() + 1), 1);
    assert.deepEqual(q.queued().map((s) => s.rootId), ['9', '10']);
    const [next] = q.insertClaimed([task('11')]);
    assert.equal(next.id, steps.at(-1)!.id + 1, 'ids go on after the highest ever used');
  });

  it('opens a file of the first format (no history columns) and keeps what it held', () => {
    const file = path.join(tmpDir('swarmage-local-'), 'v1.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE steps (id INTEGER PRIMARY KEY, root_id TEXT NOT NULL, parent_id INTEGER, type TEXT NOT NULL, data TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued', result TEXT, error TEXT, stack TEXT, retry_ms INTEGER, postback TEXT,
        attempt INTEGER NOT NULL, max_attempts INTEGER NOT NULL, created_at INTEGER NOT NULL, queued_at INTEGER NOT NULL, finished_at INTEGER);
      CREATE INDEX steps_root ON steps (root_id);
      INSERT INTO meta VALUES ('drone_id', 'old-drone');
      INSERT INTO steps (id, root_id, parent_id, type, data, state, attempt, max_attempts, created_at, queued_at) VALUES (4, '40', NULL, 'a', '1', 'hopped', 1, 5, 1, 1);
      INSERT INTO steps (id, root_id, parent_id, type, data, state, attempt, max_attempts, created_at, queued_at) VALUES (5, '40', 4, 'b', '2', 'queued', 1, 5, 1, 1);
      INSERT INTO steps (id, root_id, parent_id, type, data, state, result, attempt, max_attempts, created_at, queued_at) VALUES (6, '60', NULL, 'a', '3', 'done', '"ok"', 1, 5, 1, 1);`);
    old.close();
    const q = open(file);
    assert.equal(q.droneId(), 'old-drone');
    assert.deepEqual(q.heldRootIds().sort(), ['40', '60']);
    const [step] = q.queued();
    assert.deepEqual([step.id, step.rootId, step.chain], [5, '40', [4]]);
    assert.deepEqual(q.finished().map((f) => [f.rootId, f.stepIds, f.resultJson]), [['60', [6], '"ok"']]);
    assert.ok(q.insertClaimed([task('70')])[0].id > 6);
  });

  it('writes through to the file (another connection sees the rows after close)', () => {
    const { file, q } = fresh();
    q.insertClaimed([task('1'), task('2')]);
    q.close();
    const db = new Database(file, { readonly: true });
    try {
      assert.equal((db.prepare('SELECT count(*) AS n FROM steps').get() as { n: number }).n, 2);
    } finally {
      db.close();
    }
  });

  it('droneId() is made once and stays the same across reopen', () => {
    const { file, q } = fresh();
    const id = q.droneId();
    assert.match(id, /^.+-\d+-[0-9a-f]{8}$/);
    assert.equal(q.droneId(), id);
    q.close();
    assert.equal(open(file).droneId(), id);
  });

  it('an alias overrides the stored drone id', () => {
    const { file, q } = fresh();
    const generated = q.droneId();
    assert.equal(q.droneId('drone-a'), 'drone-a');
    assert.equal(q.droneId(), 'drone-a', 'the alias is kept in the file');
    q.close();
    const again = open(file);
    assert.equal(again.droneId(), 'drone-a');
    assert.equal(again.droneId('drone-b'), 'drone-b');
    assert.notEqual(again.droneId(), generated);
  });

  it('refuses a second queue on a file that another one holds open', () => {
    const { file, q } = fresh();
    q.insertClaimed([task('1')]);
    const e = lqError(() => open(file));
    assert.match(e.message, /is in use by another drone/);
    assert.ok(e.message.includes(file), e.message);
    // The first one is unaffected, and once it is closed the file opens again.
    assert.equal(q.queued().length, 1);
    q.close();
    assert.equal(open(file).queued().length, 1);
  });

  it('creates missing parent directories', () => {
    const file = path.join(tmpDir('swarmage-local-'), 'a', 'b', 'local.sqlite');
    open(file).insertClaimed([task('1')]);
    assert.ok(fs.existsSync(file));
  });

  it('names the path when the location cannot hold a file', () => {
    const e = lqError(() => open('/etc/passwd/x.sqlite'));
    assert.match(e.message, /^local queue \/etc\/passwd\/x\.sqlite: cannot open/);
    const dir = tmpDir('swarmage-local-');
    const regular = path.join(dir, 'plain-file');
    fs.writeFileSync(regular, 'not a directory');
    const file = path.join(regular, 'sub', 'local.sqlite');
    const e2 = lqError(() => open(file));
    assert.ok(e2.message.startsWith(`local queue ${file}: cannot open`), e2.message);
  });

  it('names the path when the file is not a database', () => {
    const file = path.join(tmpDir('swarmage-local-'), 'garbage.sqlite');
    fs.writeFileSync(file, 'this is not sqlite '.repeat(100));
    const e = lqError(() => open(file));
    assert.ok(e.message.startsWith(`local queue ${file}`), e.message);
  });
});

describe('LocalQueue history: traces, logs, the task explorer, replays (format 3)', () => {
  /** a → local:b → done, c failed, d queued: three chains with data to search. */
  function history() {
    const f = fresh();
    const { q } = f;
    const [a, c, d] = q.insertClaimed([
      task('1', { dataJson: '{"user":{"id":7,"name":"ann"},"tags":["x"],"ok":true}', replayOf: '9:3' }),
      task('2', { type: 'thumb', dataJson: '{"user":{"id":8,"name":"bob"},"ok":false}' }),
      task('3', { dataJson: '{"user":{"id":9,"name":null}}' }),
    ]);
    const { created: [a2] } = q.record([{ kind: 'hop', step: a, nextType: 'b', nextDataJson: '"mid"', startedAt: 10 }],
      [{ stepId: a.id, time: 5, level: 'info', msg: 'first line' }]);
    const { finished } = q.record([
      { kind: 'done', step: a2, resultJson: '"out"', startedAt: 20 },
      { kind: 'failed', step: c, error: 'boom', stack: 'Error: boom', retryInMs: 10, startedAt: 30 },
    ], [{ stepId: a2.id, time: 6, level: 'warn', msg: 'second line' }]);
    q.record([], [{ stepId: a.id, time: 7, level: 'debug', msg: 'late line' }]);
    return { ...f, a, a2, c, d, finished };
  }

  it('trace() returns every step of one task with its input, result and replay link; logsOf() their lines in order', () => {
    const { q, a, a2 } = history();
    const steps = q.trace('1');
    assert.deepEqual(steps.map((s) => [s.id, s.parentId, s.type, s.state, s.dataJson, s.resultJson, s.startedAt]), [
      [a.id, null, 'resize', 'hopped', '{"user":{"id":7,"name":"ann"},"tags":["x"],"ok":true}', null, 10],
      [a2.id, a.id, 'b', 'done', '"mid"', '"out"', 20],
    ]);
    assert.equal(steps[0].replayOf, '9:3');
    assert.equal(steps[1].replayOf, null);
    assert.deepEqual(q.logsOf([a.id, a2.id]).map((l) => [l.stepId, l.level, l.msg]), [
      [a.id, 'info', 'first line'], [a.id, 'debug', 'late line'], [a2.id, 'warn', 'second line'],
    ]);
    assert.deepEqual(q.logsOf([a.id, a2.id], 2).map((l) => l.msg), ['first line', 'late line'], 'at most maxLines');
    assert.deepEqual(q.trace('404'), []);
    assert.equal(q.step(a2.id)!.rootId, '1');
    assert.equal(q.step(999_999), null);
  });

  it('searchRoots() filters first steps by type, time and a JSON path condition, newest first, with their chains; pages by keyset', () => {
    const { q, a, a2, c, d } = history();
    const ids = (w: Parameters<LocalQueue['searchRoots']>[0]) => q.searchRoots(w).found.map((r) => r.root.id);
    assert.deepEqual(ids({ limit: 10 }), [d.id, c.id, a.id]);
    assert.deepEqual(q.searchRoots({ limit: 10 }).found.find((r) => r.root.id === a.id)!.chain.map((s) => s.id), [a.id, a2.id]);
    assert.deepEqual(ids({ type: 'thumb', limit: 10 }), [c.id]);
    assert.deepEqual(ids({ limit: 2 }), [d.id, c.id]);
    assert.deepEqual(ids({ limit: 2, before: c.id }), [a.id], 'keyset: the page after the last id seen');
    assert.deepEqual(ids({ from: Date.now() + 60_000, limit: 10 }), []);
    assert.deepEqual(ids({ to: Date.now() + 60_000, from: 0, limit: 10 }).length, 3);
    assert.deepEqual(ids({ where: { path: '$.user.id', op: '=', value: 8 }, limit: 10 }), [c.id]);
    assert.deepEqual(ids({ where: { path: '$.user.id', op: '>=', value: 8 }, limit: 10 }), [d.id, c.id]);
    assert.deepEqual(ids({ where: { path: '$.user.id', op: '!=', value: 8 }, limit: 10 }), [d.id, a.id]);
    assert.deepEqual(ids({ where: { path: '$.user.name', op: '=', value: 'ann' }, limit: 10 }), [a.id]);
    assert.deepEqual(ids({ where: { path: '$.user.name', op: 'contains', value: 'o' }, limit: 10 }), [c.id]);
    assert.deepEqual(ids({ where: { path: '$.user.name', op: '=', value: null }, limit: 10 }), [d.id], 'a JSON null');
    assert.deepEqual(ids({ where: { path: '$.tags[0]', op: 'exists' }, limit: 10 }), [a.id]);
    assert.deepEqual(ids({ where: { path: '$.user.name', op: 'exists' }, limit: 10 }), [d.id, c.id, a.id], 'null exists');
    assert.deepEqual(ids({ where: { path: '$.ok', op: '=', value: true }, limit: 10 }), [a.id]);
    assert.deepEqual(ids({ where: { path: '$.ok', op: '=', value: false }, limit: 10 }), [c.id]);
    assert.throws(() => ids({ where: { path: '$.user.id', op: '<', value: null }, limit: 10 }), /where: < needs a value/);
    assert.throws(() => ids({ where: { path: '$.user.id', op: 'contains' }, limit: 10 }), /where: "contains" needs a value/);
  });

  it('searchRoots() with `scan` examines only that many step ids below `before` and says where to go on', () => {
    const { q, a, c, d } = history();
    // a, c and d were claimed together (consecutive ids), a2 after them: a window of one id below d holds c.
    const page = q.searchRoots({ before: d.id, scan: d.id - c.id, limit: 10 });
    assert.deepEqual(page.found.map((r) => r.root.id), [c.id]);
    assert.equal(page.more, c.id, 'fewer than asked and older steps left: go on below the window');
    const rest = q.searchRoots({ before: page.more!, scan: 1000, limit: 10 });
    assert.deepEqual([rest.found.map((r) => r.root.id), rest.more], [[a.id], null], 'the window reached the oldest step: nothing more');
    const none = q.searchRoots({ before: d.id, scan: d.id - c.id, type: 'nope', limit: 10 });
    assert.deepEqual([none.found, none.more], [[], c.id], 'a window with no match still moves on');
    const full = q.searchRoots({ scan: 1000, limit: 1 });
    assert.equal(full.more, null, 'a full page: the caller goes on from its last row');
  });

  it('searchRoots() rows carry no data, result or stack, and an error preview; trace() with limits cuts each text and the total, with a marker', () => {
    const { q, c } = history();
    const big = 'e'.repeat(5000);
    q.refail('2', big, 0);
    const row = q.searchRoots({ type: 'thumb', limit: 10 }).found[0].root as Record<string, unknown>;
    assert.equal(row.id, c.id);
    assert.equal('dataJson' in row || 'resultJson' in row || 'stack' in row, false);
    assert.equal(row.error, 'e'.repeat(1024), 'the explorer shows a preview');
    const [whole] = q.trace('2');
    assert.equal(whole.error, big, 'without limits: whole');
    const [cut] = q.trace('2', { fieldChars: 100, totalChars: 1_000_000 });
    assert.equal(cut.error, `${'e'.repeat(100)}… (4900 characters cut)`);
    assert.equal(cut.dataJson, whole.dataJson, 'short texts stay whole');
    const [spent] = q.trace('2', { fieldChars: 4000, totalChars: 10 });
    assert.match(spent.error!, /^e{256}… \(4744 characters cut\)$/, 'past the total only a preview');
  });

  it('pruning drops the logs of the steps it drops, and old replay records', () => {
    const { q, a, a2, finished } = history();
    q.addReplay('77', '1', a.id);
    assert.deepEqual(q.replaysOf('1'), ['77']);
    q.ack(finished);
    assert.ok(q.pruneByAge(0, Date.now() + 1) >= 3);
    assert.deepEqual(q.trace('1'), []);
    assert.deepEqual(q.logsOf([a.id, a2.id]), []);
    assert.deepEqual(q.replaysOf('1'), []);
    assert.deepEqual(q.queued().map((s) => s.rootId), ['3']);
  });

  it('opens a file of format 2 (no replay_of, no step_logs) and keeps what it held', () => {
    const file = path.join(tmpDir('swarmage-local-'), 'v2.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE steps (id INTEGER PRIMARY KEY AUTOINCREMENT, root_id TEXT NOT NULL, parent_id INTEGER, type TEXT NOT NULL, data TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued', result TEXT, error TEXT, stack TEXT, retry_ms INTEGER, postback TEXT, attempt INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL, created_at INTEGER NOT NULL, queued_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, acked_at INTEGER);
      INSERT INTO steps (id, root_id, parent_id, type, data, state, attempt, max_attempts, created_at, queued_at) VALUES (4, '40', NULL, 'a', '1', 'hopped', 1, 5, 1, 1);
      INSERT INTO steps (id, root_id, parent_id, type, data, state, attempt, max_attempts, created_at, queued_at) VALUES (5, '40', 4, 'b', '2', 'queued', 1, 5, 1, 1);
      PRAGMA user_version = 2;`);
    old.close();
    const q = open(file);
    const [step] = q.queued();
    assert.deepEqual([step.id, step.chain, step.parentType], [5, [4], 'a']);
    assert.deepEqual(q.trace('40').map((s) => s.replayOf), [null, null]);
    q.record([], [{ stepId: 5, time: 1, level: 'info', msg: 'hi' }]);
    assert.equal(q.logsOf([5]).length, 1);
  });
});

/** The drone's local queue, both ways: in a thread of its own, and in the caller's thread (where that cannot block). */
const DRONE_QUEUES: Array<[string, (file: string) => DroneLocalQueue]> = [
  ['LocalQueueThread', (file) => new LocalQueueThread(file)],
  ['LocalQueueHere', (file) => new LocalQueueHere(file)],
];

for (const [name, make] of DRONE_QUEUES) describe(`${name} (the drone's local queue)`, () => {
  it('gives the same steps as LocalQueue, keeps calls in the order posted, and writes through to the file', async () => {
    const dir = tmpDir('swarmage-local-');
    const direct = open(path.join(dir, 'direct.sqlite'));
    const t = make(path.join(dir, 'thread.sqlite'));
    try {
      const batch = [task('11'), task('12', { postback: 'done', replayOf: '9:3' }), task('13')];
      const expected = direct.insertClaimed(batch);
      // Not awaited: the synchronous call after it must still see it (one thread, calls in order).
      const pending = t.insertClaimed(batch);
      assert.deepEqual(t.heldRootIds().sort(), ['11', '12', '13']);
      const steps = await pending;
      assert.deepEqual(steps.map(({ queuedAt, ...s }) => s), expected.map(({ queuedAt, ...s }) => s));
      assert.deepEqual(t.queued().map((s) => s.id), steps.map((s) => s.id));
      // Plain completions take the compact path; a failure the general one; both end in the outbox.
      const done = await t.record([{ kind: 'done', step: steps[0], resultJson: '{"ok":1}', startedAt: 5 }]);
      const failed = await t.record([{ kind: 'failed', step: steps[1], error: 'boom', stack: null, retryInMs: 10 }]);
      assert.deepEqual(untimed(done.finished), untimed(direct.record([{ kind: 'done', step: expected[0], resultJson: '{"ok":1}', startedAt: 5 }]).finished));
      assert.equal(failed.finished[0].state, 'failed');
      assert.deepEqual(t.finished().map((f) => [f.rootId, f.state, f.resultJson]), [['11', 'done', '{"ok":1}'], ['12', 'failed', null]]);
      assert.equal(t.step(steps[0].id)?.startedAt, 5);
      await t.ack([...done.finished, ...failed.finished]);
      assert.deepEqual(t.heldRootIds(), ['13']);
      assert.deepEqual(t.finished(), []);
      assert.equal((await t.trace('11'))[0].state, 'done');
      assert.equal((await t.searchRoots({ limit: 10 })).found.length, 3, 'reads for the API answer asynchronously');
    } finally {
      t.close();
    }
    // Closed: the file is free again, and holds what was written.
    const again = open(path.join(dir, 'thread.sqlite'));
    assert.deepEqual(again.heldRootIds(), ['13']);
  });

});

describe('LocalQueueThread', () => {
  it('brings the thread\'s errors back as they are: a second queue on a held file, a call after close', async () => {
    const file = path.join(tmpDir('swarmage-local-'), 'local.sqlite');
    const t = new LocalQueueThread(file);
    try {
      assert.throws(() => new LocalQueueThread(file), (e: Error) => e instanceof LocalQueueError && /is in use by another drone/.test(e.message));
    } finally {
      t.close();
    }
    assert.throws(() => t.queued(), /the local queue is closed/);
    await assert.rejects(t.insertClaimed([task('1')]), /the local queue is closed/);
  });
});

describe('LocalQueueThread, closed with calls still on their way', () => {
  it('answers every call posted before the close, and refuses the ones after', async () => {
    const file = path.join(tmpDir('swarmage-local-'), 'local.sqlite');
    const t = new LocalQueueThread(file);
    const steps = await t.insertClaimed([task('1'), task('2')]);
    const done = await t.record(steps.map((step) => ({ kind: 'done' as const, step, resultJson: 'null' })));
    // Posted, not awaited, and the queue closed at once: as a stopping drone does with its last acknowledgement.
    const acked = t.ack(done.finished);
    t.close();
    await acked;
    await assert.rejects(t.ack(done.finished), /the local queue is closed/);
    const again = open(file);
    assert.deepEqual(again.heldRootIds(), []);
    assert.deepEqual(again.finished(), []);
  });
});
