import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LocalQueue } from '../../core/queue/local/localQueue.js';
import { LocalQueueError, type Finished, type Step, type StepSearch } from '../../core/queue/local/types.js';
import { DroneLocalQueue } from '../../core/queue/local/droneLocalQueue.js';
import { InProcessTransport, type LocalQueueTransport } from '../../core/queue/local/transport.js';
import { ThreadTransport } from '../../core/queue/local/threadTransport.js';
import { FORMAT, MIGRATIONS } from '../../core/queue/local/migrate.js';
import type { ClaimedTask } from '../../core/queue/types.js';
import { tmpDir } from '../helpers/tmp.js';

/** Every queue a test opened, closed at the end (closing twice does nothing). */
const opened: Array<{ close(): void }> = [];
after(() => {
  for (const q of opened) q.close();
});

function openRaw(file: string): LocalQueue {
  const q = new LocalQueue(file);
  opened.push(q);
  return q;
}

function tmpFile(name = 'local.sqlite'): string {
  return path.join(tmpDir('swarmage-local-'), name);
}

function task(id: string, over: Partial<ClaimedTask> = {}): ClaimedTask {
  return {
    id,
    type: 'resize',
    dataJson: `{"n":${id}}`,
    postback: null,
    attempt: 1,
    maxAttempts: 5,
    priority: 0,
    createdAt: 1_700_000_000_000 + Number(id),
    ...over,
  };
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

/** The schema of a queue file: every table and index with its SQL, by name. */
function schemaOf(file: string): { version: number; objects: unknown[] } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      objects: db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name`).all(),
    };
  } finally {
    db.close();
  }
}

/** A file as the first format wrote it: no user_version, no history columns, ids that could repeat. */
function writeFormat1(file: string): void {
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
}

/** The drone's local queue, both ways: in a thread of its own, and in the caller's thread (where that cannot block). */
const TRANSPORTS: Array<[string, (file: string) => LocalQueueTransport]> = [
  ['in its own thread', (file) => new ThreadTransport(file)],
  ['in the calling thread', (file) => new InProcessTransport(file)],
];

for (const [where, transport] of TRANSPORTS) {
  function open(file: string): DroneLocalQueue {
    const q = new DroneLocalQueue(transport(file));
    opened.push(q);
    return q;
  }

  function fresh(): { file: string; q: DroneLocalQueue } {
    const file = tmpFile();
    return { file, q: open(file) };
  }

  describe(`DroneLocalQueue ${where}`, () => {
    it('returns inserted claimed tasks from queued() in insertion order, with every field', async () => {
      const { q } = fresh();
      const steps = await q.insertClaimed([task('30', { postback: 'reply', attempt: 2, maxAttempts: 3 }), task('10'), task('20', { type: 'thumb' })]);
      assert.deepEqual(
        steps.map((s) => s.rootId),
        ['30', '10', '20'],
      );
      const queued = q.queued();
      assert.deepEqual(queued, steps);
      assert.deepEqual(
        queued.map((s) => s.rootId),
        ['30', '10', '20'],
      );
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

    it('keeps data text verbatim (no parse and re-serialise)', async () => {
      const { q } = fresh();
      const dataJson = '{ "b" : 1.50, "a":"\\u00e9" }';
      await q.insertClaimed([task('1', { dataJson })]);
      assert.equal(q.queued()[0].dataJson, dataJson);
    });

    it('a hop creates a child step with parentId and the same rootId, and the parent leaves the queue', async () => {
      const { q } = fresh();
      const [root] = await q.insertClaimed([task('7', { postback: 'pb', attempt: 3 })]);
      const {
        created: [child],
        finished,
      } = await q.record([{ kind: 'hop', step: root, nextType: 'local:stage2', nextDataJson: '[1,2]' }]);
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

    it('records done and failed outcomes; finished() lists them with result and error', async () => {
      const { q } = fresh();
      const [a, b, c] = await q.insertClaimed([task('1'), task('2'), task('3')]);
      const {
        created: [a2],
      } = await q.record([{ kind: 'hop', step: a, nextType: 'local:next', nextDataJson: '"x"' }]);
      const { created, finished } = await q.record([
        { kind: 'done', step: a2, resultJson: '{"ok":true}' },
        { kind: 'failed', step: b, error: 'boom', stack: 'Error: boom\n    at x', retryInMs: 1234.6 },
      ]);
      assert.deepEqual(created, []);
      assert.deepEqual(
        q.queued().map((s) => s.id),
        [c.id],
      );
      const failedB = {
        rootId: '2',
        type: 'resize',
        stepIds: [b.id],
        postback: null,
        state: 'failed',
        resultJson: null,
        error: 'boom',
        stack: 'Error: boom\n    at x',
        retryInMs: 1235,
        final: false,
        resumeType: null,
        resumeDataJson: null,
      };
      const doneA = {
        rootId: '1',
        type: 'local:next',
        stepIds: [a.id, a2.id],
        postback: null,
        state: 'done',
        resultJson: '{"ok":true}',
        error: null,
        stack: null,
        retryInMs: 0,
        final: false,
        resumeType: null,
        resumeDataJson: null,
      };
      assert.deepEqual(untimed(finished), [doneA, failedB], 'record() hands back the chains that ended, with every step id of each');
      assert.deepEqual(untimed(q.finished(10)), [failedB, doneA], 'finished() reads the same from the file (after a restart), in step order');
      assert.equal(q.finished(1).length, 1);
    });

    it('a failed hop is where the chain resumes: its type and input go with the failure, and a final failure says so, after a reopen too', async () => {
      const { file, q } = fresh();
      const [a, b] = await q.insertClaimed([task('1'), task('2')]);
      const {
        created: [a2],
      } = await q.record([{ kind: 'hop', step: a, nextType: 'local:second', nextDataJson: '{"from":"first"}' }]);
      const { finished } = await q.record([
        { kind: 'failed', step: a2, error: 'second failed', stack: null, retryInMs: 10 },
        { kind: 'failed', step: b, error: 'too big', stack: null, retryInMs: 10, final: true },
      ]);
      const pick = (f: Finished) => [f.rootId, f.stepIds, f.final, f.resumeType, f.resumeDataJson];
      const expected = [
        ['1', [a.id, a2.id], false, 'local:second', '{"from":"first"}'],
        ['2', [b.id], true, null, null],
      ];
      assert.deepEqual(finished.map(pick), expected, 'a failure at the first step has no resume point');
      assert.deepEqual(q.finished().map(pick), [expected[1], expected[0]], 'read back from the file, in step order');
      q.close();
      assert.deepEqual(open(file).finished().map(pick), [expected[1], expected[0]], 'after a reopen');
    });

    it('refail() can make a failure final', async () => {
      const { file, q } = fresh();
      const [a, b] = await q.insertClaimed([task('1'), task('2')]);
      await q.record([
        { kind: 'done', step: a, resultJson: '1' },
        { kind: 'done', step: b, resultJson: '2' },
      ]);
      q.refail('1', 'refused for good', 0, true);
      q.refail('2', 'refused for now', 0);
      q.close();
      assert.deepEqual(
        open(file)
          .finished()
          .map((f) => [f.rootId, f.state, f.error, f.final]),
        [
          ['1', 'failed', 'refused for good', true],
          ['2', 'failed', 'refused for now', false],
        ],
      );
    });

    it('a claimed task with a resume point is buffered at that step, with its input, and its trace says it resumed', async () => {
      const { q } = fresh();
      const steps = await q.insertClaimed([
        task('1'),
        task('2', { attempt: 2, resumeType: 'local:second', resumeDataJson: '{"from":"first"}' }),
        task('3', { resumeType: 'local:second', resumeDataJson: null }),
      ]);
      assert.deepEqual(
        steps.map((s) => [s.rootId, s.parentId, s.type, s.dataJson, s.attempt]),
        [
          ['1', null, 'resize', '{"n":1}', 1],
          ['2', null, 'local:second', '{"from":"first"}', 2],
          ['3', null, 'local:second', 'null', 1],
        ],
      );
      assert.deepEqual(q.queued(), steps);
      assert.deepEqual(
        (await q.trace('2')).map((s) => [s.type, s.dataJson, s.resumed]),
        [['local:second', '{"from":"first"}', true]],
      );
      assert.equal((await q.trace('1'))[0].resumed, false);
    });

    it('records a batch of plain completions (the compact form) as the general form would', async () => {
      const { q } = fresh();
      const [a, b] = await q.insertClaimed([task('1', { postback: 'pb' }), task('2')]);
      const {
        created: [a2],
      } = await q.record([{ kind: 'hop', step: a, nextType: 'local:n', nextDataJson: '1' }]);
      const { created, finished } = await q.record([
        { kind: 'done', step: a2, resultJson: '"r1"', startedAt: 7 },
        { kind: 'done', step: b, resultJson: '"r2"' },
      ]);
      assert.deepEqual(created, []);
      const none = { final: false, resumeType: null, resumeDataJson: null };
      const expected = [
        {
          rootId: '1',
          type: 'local:n',
          stepIds: [a.id, a2.id],
          postback: 'pb',
          state: 'done',
          resultJson: '"r1"',
          error: null,
          stack: null,
          retryInMs: 0,
          ...none,
        },
        { rootId: '2', type: 'resize', stepIds: [b.id], postback: null, state: 'done', resultJson: '"r2"', error: null, stack: null, retryInMs: 0, ...none },
      ];
      assert.deepEqual(untimed(finished), expected);
      assert.deepEqual(untimed(q.finished()), [expected[1], expected[0]], 'in the file too, in step order');
      assert.deepEqual([q.step(a2.id)?.startedAt, q.step(b.id)?.startedAt], [7, null]);
      assert.deepEqual(await q.record([]), { created: [], finished: [] });
    });

    it('forget() removes whole chains, including hopped steps, and nothing else', async () => {
      const { q } = fresh();
      const [a, b] = await q.insertClaimed([task('1'), task('2')]);
      const {
        created: [a2],
      } = await q.record([{ kind: 'hop', step: a, nextType: 'local:n', nextDataJson: '1' }]);
      await q.record([{ kind: 'done', step: a2, resultJson: '1' }]);
      q.forget(['1', 'unknown']);
      assert.deepEqual(q.heldRootIds(), ['2']);
      assert.deepEqual(q.finished(10), []);
      assert.deepEqual(
        q.queued().map((s) => s.id),
        [b.id],
      );
      q.forget([]);
      assert.deepEqual(q.heldRootIds(), ['2']);
    });

    it('keeps queued and finished steps across close and reopen', async () => {
      const { file, q } = fresh();
      const [a, b] = await q.insertClaimed([task('1'), task('2')]);
      const {
        created: [a2],
      } = await q.record([{ kind: 'hop', step: a, nextType: 'local:n', nextDataJson: '{"deep":[1]}' }]);
      await q.record([{ kind: 'failed', step: b, error: 'e', stack: null, retryInMs: 50 }]);
      const before: Step[] = q.queued();
      q.close();
      const again = open(file);
      assert.deepEqual(again.queued(), before);
      assert.deepEqual(again.queued(), [a2]);
      assert.deepEqual(untimed(again.finished(10)), [
        {
          rootId: '2',
          type: 'resize',
          stepIds: [b.id],
          postback: null,
          state: 'failed',
          resultJson: null,
          error: 'e',
          stack: null,
          retryInMs: 50,
          final: false,
          resumeType: null,
          resumeDataJson: null,
        },
      ]);
      assert.deepEqual(again.heldRootIds().sort(), ['1', '2'], 'the chains held are known again after reopening');
      // New steps continue after the old ones.
      const [c] = await again.insertClaimed([task('3')]);
      assert.ok(c.id > a2.id);
      // A claim of one task is written without a transaction of its own: it is kept all the same.
      again.close();
      const third = open(file);
      assert.deepEqual(third.queued(), [a2, c]);
      assert.deepEqual(third.heldRootIds().sort(), ['1', '2', '3']);
    });

    it('ack() turns chains into history: no longer held or finished, still in the file with every step', async () => {
      const { file, q } = fresh();
      const [a, b] = await q.insertClaimed([task('1'), task('2')]);
      const {
        created: [a2],
      } = await q.record([{ kind: 'hop', step: a, nextType: 'local:n', nextDataJson: '2', startedAt: 1000 }]);
      const { finished } = await q.record([{ kind: 'done', step: a2, resultJson: '"r"', startedAt: 2000 }]);
      await q.ack(finished);
      assert.deepEqual(q.heldRootIds(), ['2']);
      assert.deepEqual(q.finished(), []);
      assert.deepEqual(
        q.queued().map((s) => s.id),
        [b.id],
      );
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

    it('ack() with keepSteps trims the oldest history in the same call; prune() applies both limits, never to unacknowledged steps', async () => {
      const { q } = fresh();
      const steps = await q.insertClaimed(Array.from({ length: 10 }, (_, i) => task(String(i + 1))));
      const { finished } = await q.record(steps.slice(0, 8).map((step) => ({ kind: 'done' as const, step, resultJson: 'null' })));
      await q.ack(finished.slice(0, 2), 9);
      assert.deepEqual([q.step(steps[0].id), q.step(steps[1].id)?.rootId], [null, '2'], 'ten ids, nine kept: the oldest acknowledged step went');
      await q.ack(finished.slice(2));
      // keepSteps 5 of 10 ids: the acknowledged among the 5 oldest go (ids 2–5; 1 went above).
      assert.equal(q.prune({ keepSteps: 5, keepMs: 3_600_000 }), 4);
      assert.equal(q.prune({ keepSteps: 5, keepMs: 3_600_000 }), 0, 'nothing more to drop');
      // An age limit drops every acknowledged step older than it; queued ones (9, 10) stay.
      assert.equal(q.prune({ keepSteps: 100, keepMs: 0 }, Date.now() + 1), 3);
      assert.deepEqual(
        q.queued().map((s) => s.rootId),
        ['9', '10'],
      );
      const [next] = await q.insertClaimed([task('11')]);
      assert.equal(next.id, steps.at(-1)!.id + 1, 'ids go on after the highest ever used');
    });

    it('opens a file of the first format (no history columns) and keeps what it held', async () => {
      const file = tmpFile('v1.sqlite');
      writeFormat1(file);
      const q = open(file);
      assert.equal(q.droneId(), 'old-drone');
      assert.deepEqual(q.heldRootIds().sort(), ['40', '60']);
      const [step] = q.queued();
      assert.deepEqual([step.id, step.rootId, step.chain], [5, '40', [4]]);
      assert.deepEqual(
        q.finished().map((f) => [f.rootId, f.stepIds, f.resultJson]),
        [['60', [6], '"ok"']],
      );
      assert.ok((await q.insertClaimed([task('70')]))[0].id > 6);
    });

    it('writes through to the file (another connection sees the rows after close)', async () => {
      const { file, q } = fresh();
      await q.insertClaimed([task('1'), task('2')]);
      q.close();
      const db = new Database(file, { readonly: true });
      try {
        assert.equal((db.prepare('SELECT count(*) AS n FROM steps').get() as { n: number }).n, 2);
      } finally {
        db.close();
      }
    });

    it('gives the same steps and outbox entries as LocalQueue itself, and keeps calls in the order made', async () => {
      const direct = openRaw(tmpFile('direct.sqlite'));
      const { q } = fresh();
      const batch = [task('11'), task('12', { postback: 'done', replayOf: '9:3' }), task('13')];
      const expected = direct.insertClaimed(batch);
      // Not awaited: the synchronous call after it must still see it (calls run in the order made).
      const pending = q.insertClaimed(batch);
      assert.deepEqual(q.heldRootIds().sort(), ['11', '12', '13']);
      const steps = await pending;
      assert.deepEqual(
        steps.map(({ queuedAt, ...s }) => s),
        expected.map(({ queuedAt, ...s }) => s),
      );
      assert.deepEqual(q.queued(), steps);
      const done = await q.record([{ kind: 'done', step: steps[0], resultJson: '{"ok":1}', startedAt: 5 }]);
      assert.deepEqual(untimed(done.finished), untimed(direct.record([{ kind: 'done', step: expected[0], resultJson: '{"ok":1}', startedAt: 5 }]).finished));
      const hop = await q.record([{ kind: 'hop', step: steps[1], nextType: 'local:n', nextDataJson: '2' }]);
      const directHop = direct.record([{ kind: 'hop', step: expected[1], nextType: 'local:n', nextDataJson: '2' }]);
      assert.deepEqual(
        hop.created.map(({ queuedAt, ...s }) => s),
        directHop.created.map(({ queuedAt, ...s }) => s),
      );
      assert.equal((await q.stepAsync(steps[1].id))?.replayOf, '9:3');
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

    it('refuses a second queue on a file that another one holds open', async () => {
      const { file, q } = fresh();
      await q.insertClaimed([task('1')]);
      const e = lqError(() => open(file));
      assert.match(e.message, /is in use by another drone/);
      assert.ok(e.message.includes(file), e.message);
      // The first one is unaffected, and once it is closed the file opens again.
      assert.equal(q.queued().length, 1);
      q.close();
      assert.equal(open(file).queued().length, 1);
    });

    it('refuses every call after close, with a LocalQueueError', async () => {
      const { q } = fresh();
      q.close();
      q.close();
      assert.throws(
        () => q.queued(),
        (e: Error) => e instanceof LocalQueueError && /the local queue is closed/.test(e.message),
      );
      await assert.rejects(q.insertClaimed([task('1')]), (e: Error) => e instanceof LocalQueueError && /the local queue is closed/.test(e.message));
    });

    it('answers every call made before the close, and refuses the ones after', async () => {
      const { file, q } = fresh();
      const steps = await q.insertClaimed([task('1'), task('2')]);
      const done = await q.record(steps.map((step) => ({ kind: 'done' as const, step, resultJson: 'null' })));
      // Made, not awaited, and the queue closed at once: as a stopping drone does with its last acknowledgement.
      const acked = q.ack(done.finished);
      q.close();
      await acked;
      await assert.rejects(q.ack(done.finished), /the local queue is closed/);
      const again = open(file);
      assert.deepEqual(again.heldRootIds(), []);
      assert.deepEqual(again.finished(), []);
    });

    it('creates missing parent directories', async () => {
      const file = path.join(tmpDir('swarmage-local-'), 'a', 'b', 'local.sqlite');
      await open(file).insertClaimed([task('1')]);
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

    it("its transport takes only LocalQueue's methods and gives their results (checked as the tests compile)", () => {
      const t = transport(tmpFile());
      opened.push(t);
      // @ts-expect-error: not a method of LocalQueue
      assert.throws(() => t.callSync('nope'));
      // @ts-expect-error: a property, not a method
      assert.throws(() => t.callSync('path'));
      // @ts-expect-error: queued() gives steps, not a string
      const wrong: string = t.callSync('queued');
      assert.deepEqual(wrong, []);
      // @ts-expect-error: forget() takes root ids
      void t.call('forget', 7).catch(() => {});
    });

    it('names the path when the file is not a database', () => {
      const file = tmpFile('garbage.sqlite');
      fs.writeFileSync(file, 'this is not sqlite '.repeat(100));
      const e = lqError(() => open(file));
      assert.ok(e.message.startsWith(`local queue ${file}`), e.message);
    });
  });

  describe(`DroneLocalQueue ${where}: history (traces, logs, the task explorer, replays)`, () => {
    /** a → local:b → done, c failed, d queued: three chains with data to search. */
    async function history() {
      const f = fresh();
      const { q } = f;
      const [a, c, d] = await q.insertClaimed([
        task('1', { dataJson: '{"user":{"id":7,"name":"ann"},"tags":["x"],"ok":true}', replayOf: '9:3' }),
        task('2', { type: 'thumb', dataJson: '{"user":{"id":8,"name":"bob"},"ok":false}' }),
        task('3', { dataJson: '{"user":{"id":9,"name":null}}' }),
      ]);
      const {
        created: [a2],
      } = await q.record(
        [{ kind: 'hop', step: a, nextType: 'b', nextDataJson: '"mid"', startedAt: 10 }],
        [{ stepId: a.id, time: 5, level: 'info', msg: 'first line' }],
      );
      const { finished } = await q.record(
        [
          { kind: 'done', step: a2, resultJson: '"out"', startedAt: 20 },
          { kind: 'failed', step: c, error: 'boom', stack: 'Error: boom', retryInMs: 10, startedAt: 30 },
        ],
        [{ stepId: a2.id, time: 6, level: 'warn', msg: 'second line' }],
      );
      await q.record([], [{ stepId: a.id, time: 7, level: 'debug', msg: 'late line' }]);
      return { ...f, a, a2, c, d, finished };
    }

    it('trace() returns every step of one task with its input, result and replay link; logsOf() their lines in order', async () => {
      const { q, a, a2 } = await history();
      const steps = await q.trace('1');
      assert.deepEqual(
        steps.map((s) => [s.id, s.parentId, s.type, s.state, s.dataJson, s.resultJson, s.startedAt]),
        [
          [a.id, null, 'resize', 'hopped', '{"user":{"id":7,"name":"ann"},"tags":["x"],"ok":true}', null, 10],
          [a2.id, a.id, 'b', 'done', '"mid"', '"out"', 20],
        ],
      );
      assert.equal(steps[0].replayOf, '9:3');
      assert.equal(steps[1].replayOf, null);
      assert.deepEqual(
        (await q.logsOf([a.id, a2.id])).map((l) => [l.stepId, l.level, l.msg]),
        [
          [a.id, 'info', 'first line'],
          [a.id, 'debug', 'late line'],
          [a2.id, 'warn', 'second line'],
        ],
      );
      assert.deepEqual(
        (await q.logsOf([a.id, a2.id], 2)).map((l) => l.msg),
        ['first line', 'late line'],
        'at most maxLines',
      );
      assert.deepEqual(await q.logsOf([]), []);
      assert.deepEqual(await q.trace('404'), []);
      assert.equal(q.step(a2.id)!.rootId, '1');
      assert.equal((await q.stepAsync(a2.id))!.rootId, '1');
      assert.equal(q.step(999_999), null);
    });

    it('searchRoots() filters first steps by type, time and a JSON path condition, newest first, with their chains; pages by keyset', async () => {
      const { q, a, a2, c, d } = await history();
      const ids = async (w: StepSearch) => (await q.searchRoots(w)).found.map((r) => r.root.id);
      assert.deepEqual(await ids({ limit: 10 }), [d.id, c.id, a.id]);
      assert.deepEqual(
        (await q.searchRoots({ limit: 10 })).found.find((r) => r.root.id === a.id)!.chain.map((s) => s.id),
        [a.id, a2.id],
      );
      assert.deepEqual(await ids({ type: 'thumb', limit: 10 }), [c.id]);
      assert.deepEqual(await ids({ limit: 2 }), [d.id, c.id]);
      assert.deepEqual(await ids({ limit: 2, before: c.id }), [a.id], 'keyset: the page after the last id seen');
      assert.deepEqual(await ids({ from: Date.now() + 60_000, limit: 10 }), []);
      assert.deepEqual((await ids({ to: Date.now() + 60_000, from: 0, limit: 10 })).length, 3);
      assert.deepEqual(await ids({ where: { path: '$.user.id', op: '=', value: 8 }, limit: 10 }), [c.id]);
      assert.deepEqual(await ids({ where: { path: '$.user.id', op: '>=', value: 8 }, limit: 10 }), [d.id, c.id]);
      assert.deepEqual(await ids({ where: { path: '$.user.id', op: '!=', value: 8 }, limit: 10 }), [d.id, a.id]);
      assert.deepEqual(await ids({ where: { path: '$.user.name', op: '=', value: 'ann' }, limit: 10 }), [a.id]);
      assert.deepEqual(await ids({ where: { path: '$.user.name', op: 'contains', value: 'o' }, limit: 10 }), [c.id]);
      assert.deepEqual(await ids({ where: { path: '$.user.name', op: '=', value: null }, limit: 10 }), [d.id], 'a JSON null');
      assert.deepEqual(await ids({ where: { path: '$.tags[0]', op: 'exists' }, limit: 10 }), [a.id]);
      assert.deepEqual(await ids({ where: { path: '$.user.name', op: 'exists' }, limit: 10 }), [d.id, c.id, a.id], 'null exists');
      assert.deepEqual(await ids({ where: { path: '$.ok', op: '=', value: true }, limit: 10 }), [a.id]);
      assert.deepEqual(await ids({ where: { path: '$.ok', op: '=', value: false }, limit: 10 }), [c.id]);
      const refused = (pattern: RegExp) => (e: Error) => e instanceof LocalQueueError && pattern.test(e.message);
      await assert.rejects(ids({ where: { path: '$.user.id', op: '<', value: null }, limit: 10 }), refused(/where: < needs a value/));
      await assert.rejects(ids({ where: { path: '$.user.id', op: 'contains' }, limit: 10 }), refused(/where: "contains" needs a value/));
    });

    it('searchRoots() with `scan` examines only that many step ids below `before` and says where to go on', async () => {
      const { q, a, c, d } = await history();
      // a, c and d were claimed together (consecutive ids), a2 after them: a window of one id below d holds c.
      const page = await q.searchRoots({ before: d.id, scan: d.id - c.id, limit: 10 });
      assert.deepEqual(
        page.found.map((r) => r.root.id),
        [c.id],
      );
      assert.equal(page.more, c.id, 'fewer than asked and older steps left: go on below the window');
      const rest = await q.searchRoots({ before: page.more!, scan: 1000, limit: 10 });
      assert.deepEqual([rest.found.map((r) => r.root.id), rest.more], [[a.id], null], 'the window reached the oldest step: nothing more');
      const none = await q.searchRoots({ before: d.id, scan: d.id - c.id, type: 'nope', limit: 10 });
      assert.deepEqual([none.found, none.more], [[], c.id], 'a window with no match still moves on');
      const full = await q.searchRoots({ scan: 1000, limit: 1 });
      assert.equal(full.more, null, 'a full page: the caller goes on from its last row');
    });

    it('searchRoots() rows carry no data, result or stack, and an error preview; trace() with limits cuts each text and the total, with a marker', async () => {
      const { q, c } = await history();
      const big = 'e'.repeat(5000);
      q.refail('2', big, 0);
      const row = (await q.searchRoots({ type: 'thumb', limit: 10 })).found[0].root as unknown as Record<string, unknown>;
      assert.equal(row.id, c.id);
      assert.equal('dataJson' in row || 'resultJson' in row || 'stack' in row, false);
      assert.equal(row.error, 'e'.repeat(1024), 'the explorer shows a preview');
      const [whole] = await q.trace('2');
      assert.equal(whole.error, big, 'without limits: whole');
      const [cut] = await q.trace('2', { fieldChars: 100, totalChars: 1_000_000 });
      assert.equal(cut.error, `${'e'.repeat(100)}… (4900 characters cut)`);
      assert.equal(cut.dataJson, whole.dataJson, 'short texts stay whole');
      const [spent] = await q.trace('2', { fieldChars: 4000, totalChars: 10 });
      assert.match(spent.error!, /^e{256}… \(4744 characters cut\)$/, 'past the total only a preview');
    });

    it('pruning drops the logs of the steps it drops, and old replay records', async () => {
      const { q, a, a2, finished } = await history();
      q.addReplay('77', '1', a.id);
      assert.deepEqual(await q.replaysOf('1'), ['77']);
      await q.ack(finished);
      assert.ok(q.prune({ keepSteps: Number.MAX_SAFE_INTEGER, keepMs: 0 }, Date.now() + 1) >= 3);
      assert.deepEqual(await q.trace('1'), []);
      assert.deepEqual(await q.logsOf([a.id, a2.id]), []);
      assert.deepEqual(await q.replaysOf('1'), []);
      assert.deepEqual(
        q.queued().map((s) => s.rootId),
        ['3'],
      );
    });
  });
}

describe('LocalQueue itself: pruning in batches, file formats and their migrations', () => {
  it('pruneToCount() and pruneByAge() drop the oldest acknowledged steps, pruneByAge at most `batch` a call', () => {
    const q = openRaw(tmpFile());
    const steps = q.insertClaimed(Array.from({ length: 10 }, (_, i) => task(String(i + 1))));
    const { finished } = q.record(steps.slice(0, 8).map((step) => ({ kind: 'done' as const, step, resultJson: 'null' })));
    q.ack(finished);
    assert.equal(q.pruneToCount(5), 5);
    assert.equal(q.pruneToCount(5), 0, 'nothing more to drop');
    assert.equal(q.pruneByAge(0, Date.now() + 1, 2), 2);
    assert.equal(q.pruneByAge(0, Date.now() + 1, 2), 1);
    assert.deepEqual(
      q.queued().map((s) => s.rootId),
      ['9', '10'],
    );
  });

  it('numbers its migrations 1, 2, 3, … with names that start with the number, and writes the last one as user_version', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.id),
      MIGRATIONS.map((_, i) => i + 1),
    );
    for (const m of MIGRATIONS) assert.ok(m.name.startsWith(`${String(m.id).padStart(3, '0')}_`), m.name);
    assert.equal(FORMAT, MIGRATIONS.length);
    const dir = new URL('../../core/queue/local/migrations/', import.meta.url);
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3))
      .sort();
    assert.deepEqual(
      files,
      MIGRATIONS.map((m) => m.name),
      'every migration file is in the list',
    );
    const file = tmpFile();
    openRaw(file).close();
    assert.equal(schemaOf(file).version, FORMAT);
  });

  it('a new file and one upgraded from the first format end with the same schema', () => {
    const created = tmpFile('new.sqlite');
    openRaw(created).close();
    const upgraded = tmpFile('v1.sqlite');
    writeFormat1(upgraded);
    openRaw(upgraded).close();
    const schema = schemaOf(created);
    assert.ok(
      schema.objects.some((o) => (o as { name: string }).name === 'step_logs'),
      'the schema is read',
    );
    assert.deepEqual(schemaOf(upgraded), schema);
  });

  it('refuses a file of a newer format, and leaves its format as it was', () => {
    const file = tmpFile('newer.sqlite');
    const newer = new Database(file);
    newer.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); PRAGMA user_version = ${FORMAT + 1};`);
    newer.close();
    const e = lqError(() => openRaw(file));
    assert.equal(e.message, `local queue ${file}: local queue ${file} was written by a newer swarmage (format ${FORMAT + 1}; this one knows ${FORMAT})`);
    assert.deepEqual(schemaOf(file).version, FORMAT + 1);
  });

  it('opens a file of format 2 (no replay_of, no step_logs, no final or resumed) and keeps what it held', () => {
    const file = tmpFile('v2.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE steps (id INTEGER PRIMARY KEY AUTOINCREMENT, root_id TEXT NOT NULL, parent_id INTEGER, type TEXT NOT NULL, data TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued', result TEXT, error TEXT, stack TEXT, retry_ms INTEGER, postback TEXT, attempt INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL, created_at INTEGER NOT NULL, queued_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, acked_at INTEGER);
      INSERT INTO steps (id, root_id, parent_id, type, data, state, attempt, max_attempts, created_at, queued_at) VALUES (4, '40', NULL, 'a', '1', 'hopped', 1, 5, 1, 1);
      INSERT INTO steps (id, root_id, parent_id, type, data, state, attempt, max_attempts, created_at, queued_at) VALUES (5, '40', 4, 'b', '2', 'queued', 1, 5, 1, 1);
      PRAGMA user_version = 2;`);
    old.close();
    const q = openRaw(file);
    const [step] = q.queued();
    assert.deepEqual([step.id, step.chain, step.parentType], [5, [4], 'a']);
    assert.deepEqual(
      q.trace('40').map((s) => [s.replayOf, s.resumed]),
      [
        [null, false],
        [null, false],
      ],
    );
    q.record([{ kind: 'failed', step, error: 'e', stack: null, retryInMs: 0 }]);
    assert.deepEqual(
      q.finished().map((f) => [f.final, f.resumeType, f.resumeDataJson]),
      [[false, 'b', '2']],
      'the old chain fails at its hop like a new one',
    );
    q.record([], [{ stepId: 5, time: 1, level: 'info', msg: 'hi' }]);
    assert.equal(q.logsOf([5]).length, 1);
    q.close();
    assert.equal(schemaOf(file).version, FORMAT);
  });
});
