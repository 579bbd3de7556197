import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { call, startService } from '../helpers/service.js';
import type { DroneService } from '../../core/service/droneService.js';
import { MAX_ENQUEUE_MANY } from '../../core/api/contract.js';

/** The Enqueue view's API on a real drone and Postgres: scheduling, batches, and waiting for many. */
describe('the enqueue API: runAt / delayMs, tasks.enqueueMany, tasks.requestMany', () => {
  let service: DroneService;
  let sql: pg.Client;
  const schema = freshSchema();

  before(async () => {
    const url = await testDatabaseUrl();
    ({ service } = await startService(url, schema, { retry: { baseMs: 50, maxMs: 200 } }));
    sql = await sqlClient(url);
  });
  after(async () => {
    await service.stop();
    await sql.end();
  });

  /** run_at of tasks, as ms since epoch, by id. */
  const runAts = async (ids: string[]) => {
    const res = await sql.query<{ id: string; at: number }>(
      `SELECT id::text, (extract(epoch FROM run_at) * 1000)::float8 AS at FROM "${schema}".tasks WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    );
    return res.rows.map((r) => r.at);
  };
  const near = (actual: number, expected: number, what: string) =>
    assert.ok(Math.abs(actual - expected) < 2000, `${what}: ${new Date(actual).toISOString()} vs ${new Date(expected).toISOString()}`);
  const invalid = async (method: 'tasks.enqueue' | 'tasks.enqueueMany' | 'tasks.requestMany', args: unknown) => {
    const out = await service.dispatch(method, args);
    assert.equal(out.ok, false);
    assert.equal(!out.ok && out.error.code, 'invalid_args');
    return out.ok ? '' : out.error.message;
  };

  it("tasks.enqueue honours runAt and delayMs (the rows' run_at), and says when the tasks run; a past runAt is now", async () => {
    // Nobody serves this type: the rows stay as enqueued.
    const at = Date.now() + 3_600_000;
    const later = await call(service, 'tasks.enqueue', { type: 'later', data: 1, count: 2, runAt: at });
    assert.equal(later.runAt, at);
    for (const t of await runAts(later.ids)) near(t, at, 'runAt');
    const before = Date.now();
    const delayed = await call(service, 'tasks.enqueue', { type: 'later', data: 1, delayMs: 300_000 });
    near(delayed.runAt, before + 300_000, 'the answer');
    near((await runAts(delayed.ids))[0], before + 300_000, 'delayMs');
    const past = await call(service, 'tasks.enqueue', { type: 'later', data: 1, runAt: Date.now() - 86_400_000 });
    near(past.runAt, Date.now(), 'the answer for a past time');
    near((await runAts(past.ids))[0], Date.now(), 'a past runAt');
  });

  it('tasks.enqueue: a bad schedule names its field', async () => {
    assert.match(
      await invalid('tasks.enqueue', { type: 'x', runAt: Date.now() + 1000, delayMs: 5 }),
      /^tasks\.enqueue: delayMs: give runAt or delayMs, not both$/,
    );
    assert.match(
      await invalid('tasks.enqueue', { type: 'x', runAt: Date.now() + 400 * 86_400_000 }),
      /runAt: .* is more than 366 days ahead; runAt is ms since epoch/,
    );
    assert.match(await invalid('tasks.enqueue', { type: 'x', delayMs: -1 }), /delayMs: .*>=0/);
    assert.match(await invalid('tasks.enqueue', { type: 'x', runAt: '2026-01-01' }), /runAt: .*expected number/);
  });

  it('tasks.enqueueMany: one call, many types and options, ids in order', async () => {
    const before = Date.now();
    const { ids } = await call(service, 'tasks.enqueueMany', {
      tasks: [
        { type: 'bulk-a', data: { n: 1 }, priority: 7, maxAttempts: 2 },
        { type: 'bulk-b', data: [1, 2], delayMs: 60_000, postback: 'bulk-answers' },
        { type: 'bulk-a', runAt: before + 120_000 },
      ],
    });
    assert.equal(ids.length, 3);
    const rows = (
      await sql.query(
        `SELECT id::text, type, data, priority, max_attempts, postback, (extract(epoch FROM run_at) * 1000)::float8 AS at FROM "${schema}".tasks WHERE id = ANY($1::bigint[]) ORDER BY id`,
        [ids],
      )
    ).rows;
    assert.deepEqual(
      rows.map((r) => r.id),
      ids,
    );
    assert.deepEqual(
      rows.map((r) => [r.type, r.data, r.priority, r.max_attempts, r.postback]),
      [
        ['bulk-a', { n: 1 }, 7, 2, null],
        ['bulk-b', [1, 2], 0, 5, 'bulk-answers'],
        ['bulk-a', null, 0, 5, null],
      ],
    );
    near(rows[0].at, before, 'no schedule');
    near(rows[1].at, before + 60_000, 'delayMs');
    near(rows[2].at, before + 120_000, 'runAt');
  });

  it('tasks.enqueueMany: bounded in count and bytes; a bad task is named by its index, and nothing is enqueued', async () => {
    const count = async () => Number((await sql.query(`SELECT count(*) FROM "${schema}".tasks WHERE type = 'never'`)).rows[0].count);
    assert.match(await invalid('tasks.enqueueMany', { tasks: [] }), /^tasks\.enqueueMany: tasks: .*>=1/);
    assert.match(await invalid('tasks.enqueueMany', { tasks: Array.from({ length: MAX_ENQUEUE_MANY + 1 }, () => ({ type: 'never' })) }), /tasks: .*<=10000/);
    assert.match(
      await invalid('tasks.enqueueMany', { tasks: [{ type: 'never' }, { type: 'never', priority: 'high' }, { type: '' }] }),
      /^tasks\.enqueueMany: tasks\[1\]\.priority: .*expected number.*; tasks\[2\]\.type: /,
    );
    assert.match(
      await invalid('tasks.enqueueMany', { tasks: [{ type: 'never', runAt: 1, delayMs: 1 }] }),
      /tasks\[0\]\.delayMs: give runAt or delayMs, not both/,
    );
    const mib = 'x'.repeat(1024 * 1024 - 100);
    assert.match(
      await invalid('tasks.enqueueMany', { tasks: Array.from({ length: 33 }, () => ({ type: 'never', data: mib })) }),
      /tasks: 33 tasks with 33\.0 MiB of data \(as JSON\); one call takes at most 32\.0 MiB: send fewer tasks per call/,
    );
    // Past the contract, the queue's own check: a "local:" type, named by its index.
    const out = await service.dispatch('tasks.enqueueMany', { tasks: [{ type: 'never' }, { type: 'local:never' }] });
    assert.match(!out.ok ? out.error.message : '', /tasks\[1\]\.type: "local:" only chains inside a drone/);
    assert.equal(await count(), 0);
  });

  it('tasks.requestMany: one outcome per task in order; a failing task is an outcome, not a failed call', async () => {
    const started = Date.now();
    const { outcomes } = await call(service, 'tasks.requestMany', {
      tasks: [
        { type: 'factorial', data: 5 },
        { type: 'factorial', data: -1, maxAttempts: 1 },
        { type: 'factorial', data: 6 },
        { type: 'hexadecimal', data: '255' },
      ],
      timeoutMs: 30_000,
    });
    assert.deepEqual(
      outcomes.map((o) => [o.state, o.result]),
      [
        ['answered', '78'],
        ['failed', null],
        ['answered', '2d0'],
        ['answered', 'ff'],
      ],
    );
    assert.match(outcomes[1].failure!.error, /factorial needs an integer from 0 to 10000, got -1/);
    assert.equal(outcomes[1].failure!.attempts, 1);
    assert.equal(new Set(outcomes.map((o) => o.id)).size, 4);
    for (const o of outcomes) assert.ok(o.ms >= 0 && o.ms <= Date.now() - started);
  });

  it('tasks.requestMany: a task with no answer in time is timed out, the others answered', async () => {
    const { outcomes } = await call(service, 'tasks.requestMany', {
      tasks: [
        { type: 'factorial', data: 3 },
        { type: 'nobody-serves-this', data: 1 },
      ],
      timeoutMs: 1500,
    });
    assert.deepEqual(
      outcomes.map((o) => o.state),
      ['answered', 'timedOut'],
    );
    assert.match(await invalid('tasks.requestMany', { tasks: Array.from({ length: 1001 }, () => ({ type: 'x' })) }), /tasks: .*<=1000/);
    assert.match(await invalid('tasks.requestMany', { tasks: [{ type: 'x', postback: 'y' }] }), /unrecognized key.*postback/i);
  });
});
