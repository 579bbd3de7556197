import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LocalQueue, LocalQueueError, type Step } from '../../core/queue/local/localQueue.js';
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
    assert.deepEqual([...q.queuedCounts()].sort(), [['resize', 2], ['thumb', 1]]);
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
    const [child] = q.record([{ kind: 'hop', step: root, nextType: 'local:stage2', nextDataJson: '[1,2]' }]);
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
    const [a2] = q.record([{ kind: 'hop', step: a, nextType: 'local:next', nextDataJson: '"x"' }]);
    const created = q.record([
      { kind: 'done', step: a2, resultJson: '{"ok":true}' },
      { kind: 'failed', step: b, error: 'boom', stack: 'Error: boom\n    at x', retryInMs: 1234.6 },
    ]);
    assert.deepEqual(created, []);
    assert.deepEqual(q.queued().map((s) => s.id), [c.id]);
    assert.deepEqual(q.finished(10), [
      { rootId: '2', state: 'failed', resultJson: null, error: 'boom', stack: 'Error: boom\n    at x', retryInMs: 1235 },
      { rootId: '1', state: 'done', resultJson: '{"ok":true}', error: null, stack: null, retryInMs: 0 },
    ]);
    assert.equal(q.finished(1).length, 1);
  });

  it('forget() removes whole chains, including hopped steps, and nothing else', () => {
    const { q } = fresh();
    const [a, b] = q.insertClaimed([task('1'), task('2')]);
    const [a2] = q.record([{ kind: 'hop', step: a, nextType: 'local:n', nextDataJson: '1' }]);
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
    const [a2] = q.record([{ kind: 'hop', step: a, nextType: 'local:n', nextDataJson: '{"deep":[1]}' }]);
    q.record([{ kind: 'failed', step: b, error: 'e', stack: null, retryInMs: 50 }]);
    const before: Step[] = q.queued();
    q.close();
    const again = open(file);
    assert.deepEqual(again.queued(), before);
    assert.deepEqual(again.queued(), [a2]);
    assert.deepEqual(again.finished(10), [{ rootId: '2', state: 'failed', resultJson: null, error: 'e', stack: null, retryInMs: 50 }]);
    // New steps continue after the old ones.
    const [c] = again.insertClaimed([task('3')]);
    assert.ok(c.id > a2.id);
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
