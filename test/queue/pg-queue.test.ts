import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { PgQueue } from '../../core/queue/pg/pgQueue.js';
import { claimTasks } from '../../core/queue/pg/claim.js';
import type { ClaimedTask } from '../../core/queue/types.js';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { waitFor } from '../helpers/tmp.js';

const LEASE = 30_000;
let url: string;
let db: pg.Client;
const queues: PgQueue[] = [];
const schemas: string[] = [];

before(async () => {
  url = await testDatabaseUrl();
  db = await sqlClient(url);
});
after(async () => {
  for (const q of queues) await q.close();
  for (const s of schemas) await db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await db.end();
});

/** Every test runs twice: with claims committed as every other statement, and with asyncClaimCommit. */
let asyncClaimCommit = false;

function newQueue(schema = freshSchema()): PgQueue {
  const q = new PgQueue({ connectionString: url, schema, asyncClaimCommit });
  queues.push(q);
  if (!schemas.includes(schema)) schemas.push(schema);
  return q;
}
async function queue(): Promise<PgQueue> {
  const q = newQueue();
  await q.migrate();
  return q;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SQL rows, read column by column below
async function rows(q: PgQueue, where = 'true', params: unknown[] = []): Promise<any[]> {
  return (await db.query(`SELECT *, run_at > now() AS later, lease_until > now() AS leased FROM "${q.schema}".tasks WHERE ${where} ORDER BY id`, params)).rows;
}
const ids = (ts: ClaimedTask[]) => ts.map((t) => t.id).sort();

for (const claimsAsync of [false, true])
  describe(`PgQueue on Postgres${claimsAsync ? ', with asyncClaimCommit' : ''}`, () => {
    before(() => {
      asyncClaimCommit = claimsAsync;
    });

    it(`claims commit ${claimsAsync ? 'without waiting for the disk' : 'as every other statement: on disk before they return'}, and set nothing on the session`, async () => {
      const q = await queue();
      await q.enqueue([{ type: 'a' }, { type: 'a' }, { type: 'a' }]);
      const setting = async (c: pg.ClientBase | pg.Pool, name: string) => (await c.query(`SELECT current_setting($1) AS v`, [name])).rows[0].v;
      // Inside a transaction of our own, to see what the claim set for its transaction.
      for (const wants of [
        [{ type: 'a', limit: 1 }],
        [
          { type: 'a', limit: 1 },
          { type: 'b', limit: 1 },
        ],
      ]) {
        await db.query('BEGIN');
        assert.equal((await claimTasks(db, q.schema, 'd1', wants, LEASE, [], claimsAsync)).length, 1);
        assert.equal(await setting(db, 'synchronous_commit'), claimsAsync ? 'off' : 'on');
        await db.query('COMMIT');
        assert.equal(await setting(db, 'synchronous_commit'), 'on', "only for the claim's transaction");
        assert.equal(await setting(db, 'plan_cache_mode'), 'auto', 'the function plans each call, and restores the setting when it returns');
      }
      assert.equal((await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE)).length, 1);
      assert.equal(await setting(q.pool, 'synchronous_commit'), 'on', 'enqueues, completions and failures always wait for the disk');
      assert.equal(await setting(q.pool, 'plan_cache_mode'), 'auto');
      assert.equal((await rows(q, `state = 'claimed'`)).length, 3);
    });

    it('claims with named statements, and goes on unnamed when the connection loses them (as behind a pooler)', async () => {
      const schema = freshSchema();
      schemas.push(schema);
      const notices: string[] = [];
      // One connection, so that what DEALLOCATE drops is what the next claim would use.
      const q = new PgQueue({ connectionString: url, schema, asyncClaimCommit, poolSize: 1, onNotice: (m) => notices.push(m) });
      queues.push(q);
      await q.migrate();
      await q.enqueue([{ type: 'a' }, { type: 'a' }, { type: 'a' }]);
      assert.equal((await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE)).length, 1);
      assert.equal(q.claimsNamed, true);
      assert.equal((await q.pool.query('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0].n, 1, 'prepared once, under its name');
      await q.pool.query('DEALLOCATE ALL');
      const got = await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      assert.equal(got.length, 1, 'the claim that found its statement gone was run again, unnamed');
      assert.equal(q.claimsNamed, false);
      assert.equal(notices.length, 1);
      assert.match(
        notices[0],
        /named prepared statements do not last .* claims go as unnamed statements from now on \(Postgres said: prepared statement .* does not exist\)/,
      );
      assert.equal((await q.claim('d1', [{ type: 'a', limit: 5 }], LEASE, [got[0].id])).length, 1);
      assert.equal(notices.length, 1, 'said once');
      assert.equal((await rows(q, `state = 'claimed'`)).length, 2, 'each task claimed once; the acknowledged one is gone');
    });

    it('migrate is idempotent, and safe when two run concurrently', async () => {
      const schema = freshSchema();
      const results = await Promise.all([newQueue(schema).migrate(), newQueue(schema).migrate()]);
      const [none, all] = results.sort((a, b) => a.length - b.length);
      assert.deepEqual(none, [], 'the second waits for the first and finds nothing to do');
      assert.deepEqual(all, [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(await newQueue(schema).migrate(), [], 'a later call applies nothing');
      assert.equal((await db.query(`SELECT count(*)::int AS n FROM "${schema}".migrations`)).rows[0].n, all.length);
      assert.deepEqual(await newQueue(schema).enqueue([{ type: 'a' }]), ['1']);
    });

    it('a role that may only use the rows runs against an up-to-date schema, and is told to run migrate when it is not', async () => {
      // The grants of docs/deployment.md for a drone's role: no right to create anything.
      const schema = freshSchema();
      await newQueue(schema).migrate();
      const role = `${schema}_drone`;
      const password = 'drone-password';
      await db.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      const opened: PgQueue[] = [];
      try {
        await db.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
        await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON "${schema}".tasks, "${schema}".drones TO ${role}`);
        await db.query(`GRANT SELECT ON "${schema}".migrations TO ${role}`);
        const roleUrl = url.replace(/^postgres:\/\/[^@]*@/, `postgres://${role}:${password}@`);
        const q = new PgQueue({ connectionString: roleUrl, schema });
        opened.push(q);
        assert.deepEqual(await q.migrate(), [], 'up to date: nothing to create, so nothing refused');
        const [id] = await q.enqueue([{ type: 'a' }]);
        await q.heartbeat({ id: 'd1', host: 'h', pid: 1, taskTypes: ['a'], startedAt: new Date() }, LEASE);
        assert.deepEqual(
          (await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE)).map((t) => t.id),
          [id],
        );
        await q.complete('d1', [{ id, resultJson: 'null', postback: null }]);

        // A newer release's migration not applied yet: the role cannot, and says who can.
        await db.query(`DELETE FROM "${schema}".migrations WHERE id = 5`);
        await assert.rejects(q.migrate(), (err: Error) => {
          assert.match(err.message, new RegExp(`^schema ${schema} needs migration\\(s\\) 5, and this database role may not change it \\(permission denied`));
          assert.match(err.message, /run "swarmage migrate" once as the role that owns the schema$/);
          return true;
        });
        await db.query(`INSERT INTO "${schema}".migrations (id, name) VALUES (5, '005_resume')`);

        const missing = new PgQueue({ connectionString: roleUrl, schema: freshSchema() });
        opened.push(missing);
        await assert.rejects(missing.migrate(), /^Error: schema t_\w+ does not exist yet, and this database role may not change it/);
      } finally {
        for (const o of opened) await o.close();
        await db.query(`DROP OWNED BY ${role}`);
        await db.query(`DROP ROLE ${role}`);
      }
    });

    it('enqueue returns ids in input order and stores each task', async () => {
      const q = await queue();
      assert.deepEqual(await q.enqueue([]), []);
      const tasks = Array.from({ length: 6 }, (_, i) => ({ type: i % 2 ? 'odd' : 'even', data: { i }, priority: i, maxAttempts: i + 1 }));
      const got = await q.enqueue(tasks);
      assert.equal(got.length, 6);
      for (const [i, r] of (await rows(q)).entries()) {
        assert.equal(r.id, got[i]);
        assert.deepEqual([r.type, r.data, r.priority, r.max_attempts, r.state, r.attempts], [tasks[i].type, { i }, i, i + 1, 'available', 0]);
      }
      await assert.rejects(q.enqueue([{ type: 'ok' }, { type: 'local:x' }]), /^TaskInputError: tasks\[1\]\.type: "local:"/);
      assert.equal((await rows(q)).length, 6, 'a rejected batch inserts nothing');
    });

    it('claim takes at most the limit per type, only requested types, and marks the claim', async () => {
      const q = await queue();
      await q.enqueue([...Array(5)].flatMap(() => [{ type: 'a' }, { type: 'b' }, { type: 'nobody' }]));
      const got = await q.claim(
        'd1',
        [
          { type: 'a', limit: 2 },
          { type: 'b', limit: 3 },
          { type: 'c', limit: 4 },
          { type: 'nobody', limit: 0 },
        ],
        LEASE,
      );
      assert.deepEqual(got.map((t) => t.type).sort(), ['a', 'a', 'b', 'b', 'b']);
      for (const t of got) assert.deepEqual([t.attempt, t.maxAttempts, t.dataJson, t.postback], [1, 5, 'null', null]);
      const claimed = await rows(q, `state = 'claimed'`);
      assert.deepEqual(
        claimed.map((r) => r.id),
        ids(got),
      );
      for (const r of claimed) assert.deepEqual([r.claimed_by, r.attempts, r.leased], ['d1', 1, true]);
      for (const r of await rows(q, `type = 'nobody'`)) assert.deepEqual([r.state, r.attempts], ['available', 0]);
      assert.deepEqual(await q.claim('d1', [], LEASE), []);
    });

    // A drone polls an empty queue for hours, then a burst arrives. Left to cache the claim's plan,
    // Postgres would by then have settled on one made for a table of no rows (sequential scans) and
    // kept it: every claim of the burst would read the whole table.
    it('a claim after a long idle spell on an empty queue still reads the burst through its index', async () => {
      const q = await queue();
      await db.query(`VACUUM ANALYZE "${q.schema}".tasks`);
      // One connection, as the drone's claims mostly take the same one; its statistics are read on it.
      const solo = new PgQueue({ connectionString: url, schema: q.schema, poolSize: 1, asyncClaimCommit });
      queues.push(solo);
      // Both claim statements, as an idle drone sends them: with acknowledgements, and without.
      let acks: string[] = [];
      for (let i = 0; i < 30; i++) {
        await q.enqueue([{ type: 'a' }, { type: 'a' }]);
        const [first] = await solo.claim('d', [{ type: 'a', limit: 1 }], LEASE);
        acks = (await solo.claim('d', [{ type: 'a', limit: 500 }], LEASE, [...acks, first.id])).map((t) => t.id);
      }
      await q.enqueue(Array.from({ length: 20_000 }, (_, i) => ({ type: 'a', data: { i } })));
      const seqRead = async () => {
        await solo.pool.query('SELECT pg_stat_force_next_flush()');
        await solo.pool.query('SELECT pg_stat_clear_snapshot()');
        return (await solo.pool.query(`SELECT seq_tup_read::int AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'tasks'`, [q.schema])).rows[0]
          .n as number;
      };
      for (const [how, ackIds] of [
        ['without acknowledgements', []],
        ['acknowledging', acks],
      ] as const) {
        const before = await seqRead();
        const got = await solo.claim('d', [{ type: 'a', limit: 500 }], LEASE, [...ackIds]);
        assert.equal(got.length, 500);
        const read = (await seqRead()) - before;
        assert.ok(read < 1000, `the claim ${how} read ${read} rows of 20,000 by sequential scans`);
      }
    });

    it('claim orders by priority (higher first), then age, and skips tasks not due yet', async () => {
      const q = await queue();
      const now = Date.now();
      const at = (ago: number) => new Date(now - ago);
      await q.enqueue([
        { type: 'p', data: 'low-old', runAt: at(30_000) },
        { type: 'p', data: 'high-new', priority: 5, runAt: at(10_000) },
        { type: 'p', data: 'low-new', runAt: at(5_000) },
        { type: 'p', data: 'high-old', priority: 5, runAt: at(20_000) },
        { type: 'p', data: 'neg', priority: -1, runAt: at(60_000) },
        { type: 'p', data: 'future', priority: 99, runAt: at(-3_600_000) },
      ]);
      const order: string[] = [];
      for (let t; (t = (await q.claim('d', [{ type: 'p', limit: 1 }], LEASE))[0]);) order.push(JSON.parse(t.dataJson));
      assert.deepEqual(order, ['high-old', 'high-new', 'low-old', 'low-new', 'neg']);
      const [future] = await rows(q, `state = 'available'`);
      assert.deepEqual([future.data, future.later], ['future', true]);
    });

    it('concurrent claims by two drones never return the same task (SKIP LOCKED)', async () => {
      const q = await queue();
      const other = newQueue(q.schema);
      await q.enqueue(Array.from({ length: 500 }, (_, i) => ({ type: 'job', data: i })));
      const drain = async (queue: PgQueue, drone: string) => {
        const seen: string[] = [];
        for (let got; (got = await queue.claim(drone, [{ type: 'job', limit: 7 }], LEASE)).length > 0;) seen.push(...got.map((t) => t.id));
        return seen;
      };
      const [a, b] = await Promise.all([drain(q, 'drone-a'), drain(other, 'drone-b')]);
      const all = [...a, ...b];
      assert.equal(new Set(all).size, all.length, 'no task was claimed twice');
      assert.equal(all.length, 500);
      assert.equal((await rows(q, `state <> 'claimed' OR attempts <> 1`)).length, 0);
      const byDrone = await db.query(`SELECT claimed_by, count(*)::int AS n FROM "${q.schema}".tasks GROUP BY 1 ORDER BY 1`);
      assert.deepEqual(
        byDrone.rows.map((r) => r.n),
        [a.length, b.length].filter((n) => n > 0),
      );
    });

    it('complete deletes the tasks, posts back results, and ignores tasks another drone holds', async () => {
      const q = await queue();
      const [withPb, plain, others] = await q.enqueue([{ type: 'w', postback: 'reply-1', data: 1 }, { type: 'w', data: 2 }, { type: 'o' }]);
      await q.claim('d1', [{ type: 'w', limit: 10 }], LEASE);
      await q.claim('d2', [{ type: 'o', limit: 10 }], LEASE);
      assert.deepEqual(await q.complete('d1', [{ id: others, resultJson: '1' }]), { done: 0, posted: 0 });
      assert.deepEqual(await q.complete('d2', [{ id: withPb, resultJson: '1' }]), { done: 0, posted: 0 });
      assert.deepEqual(
        await q.complete('d1', [
          { id: withPb, resultJson: '{"r":[1,"x"]}' },
          { id: plain, resultJson: '"gone"' },
        ]),
        { done: 2, posted: 1 },
      );
      const left = await rows(q);
      assert.deepEqual(
        left.map((r) => [r.type, r.data, r.state, r.claimed_by, r.postback, r.attempts]),
        [
          ['o', null, 'claimed', 'd2', null, 1],
          ['reply-1', { r: [1, 'x'] }, 'available', null, null, 0],
        ],
      );
      assert.deepEqual(await q.complete('d1', [{ id: withPb, resultJson: '1' }]), { done: 0, posted: 0 }, 'completing twice posts nothing');
      const traced = await db.query(`SELECT trace_id FROM "${q.schema}".tasks WHERE type = 'reply-1'`);
      assert.deepEqual(traced.rows, [{ trace_id: withPb }], 'a postback carries the trace id (the id of the task whose result it is)');
    });

    it('a replay keeps the step it replays: enqueue stores replayOf, the claim returns it', async () => {
      const q = await queue();
      const [replay, plain] = await q.enqueue([
        { type: 'r', data: 1, replayOf: '41:7' },
        { type: 'r', data: 2 },
      ]);
      const got = await q.claim('d1', [{ type: 'r', limit: 10 }], LEASE);
      assert.deepEqual(
        got.map((t) => [t.id, t.replayOf]),
        [
          [replay, '41:7'],
          [plain, null],
        ],
      );
    });

    it('fail retries later with the error kept, then leaves the task failed after max_attempts', async () => {
      const q = await queue();
      const [id] = await q.enqueue([{ type: 'f', maxAttempts: 2 }]);
      await q.claim('d1', [{ type: 'f', limit: 1 }], LEASE);
      assert.deepEqual(await q.fail('d2', [{ id, error: 'not mine', retryInMs: 0 }]), { retried: 0, failed: 0 });
      assert.deepEqual(await q.fail('d1', [{ id, error: 'boom 1', stack: 'Error: boom 1\n  at f', retryInMs: 60_000 }]), { retried: 1, failed: 0 });
      let [r] = await rows(q);
      assert.deepEqual(
        [r.state, r.attempts, r.claimed_by, r.lease_until, r.last_error, r.last_error_stack, r.later],
        ['available', 1, null, null, 'boom 1', 'Error: boom 1\n  at f', true],
      );
      assert.equal((await rows(q, `run_at > now() + interval '30 seconds'`)).length, 1, 'run_at moved by the retry delay');
      assert.deepEqual(await q.claim('d1', [{ type: 'f', limit: 1 }], LEASE), [], 'not due yet');
      await db.query(`UPDATE "${q.schema}".tasks SET run_at = now()`);
      assert.equal((await q.claim('d1', [{ type: 'f', limit: 1 }], LEASE))[0].attempt, 2);
      assert.deepEqual(await q.fail('d1', [{ id, error: 'boom 2', retryInMs: 60_000 }]), { retried: 0, failed: 1 });
      [r] = await rows(q);
      assert.deepEqual([r.state, r.attempts, r.claimed_by, r.last_error, r.last_error_stack], ['failed', 2, null, 'boom 2', null]);
      assert.deepEqual(await q.claim('d1', [{ type: 'f', limit: 1 }], LEASE), []);
    });

    it('a failure at a local: step keeps it as the resume point, which the claim returns until the task is done', async () => {
      const q = await queue();
      const [id, plain] = await q.enqueue([
        { type: 'chain', data: { n: 1 }, maxAttempts: 3 },
        { type: 'chain', data: 2, maxAttempts: 3 },
      ]);
      const claim = async () => {
        await db.query(`UPDATE "${q.schema}".tasks SET run_at = now()`);
        return (await q.claim('d1', [{ type: 'chain', limit: 5 }], LEASE)).sort((a, b) => Number(a.id) - Number(b.id));
      };
      const first = await claim();
      assert.deepEqual(
        first.map((t) => [t.resumeType, t.resumeDataJson]),
        [
          [null, null],
          [null, null],
        ],
        'a task that never failed has no resume point',
      );
      await q.fail('d1', [
        { id, error: 'step 2 failed', retryInMs: 0, resumeType: 'second', resumeDataJson: '{"from":"first","n":1}' },
        { id: plain, error: 'step 1 failed', retryInMs: 0 },
      ]);
      const [r1, p] = await rows(q);
      assert.deepEqual([r1.state, r1.resume_type, r1.resume_data], ['available', 'second', { from: 'first', n: 1 }]);
      assert.deepEqual([p.state, p.resume_type, p.resume_data], ['available', null, null], 'a failure at the first step records none');
      const again = await claim();
      assert.deepEqual(
        again.map((t) => [t.id, t.type, t.dataJson, t.resumeType, t.resumeDataJson, t.attempt]),
        [
          [id, 'chain', '{"n": 1}', 'second', '{"n": 1, "from": "first"}', 2],
          [plain, 'chain', '2', null, null, 2],
        ],
      );
      // The resumed step failed again: the task keeps its resume point; a later step's failure moves it; a null input is kept as null.
      await q.fail('d1', [{ id, error: 'step 2 failed again', retryInMs: 0 }]);
      let [r] = await rows(q, 'id = $1', [id]);
      assert.deepEqual([r.resume_type, r.resume_data, r.last_error], ['second', { from: 'first', n: 1 }, 'step 2 failed again']);
      await claim();
      await q.fail('d1', [{ id, error: 'step 3 failed', retryInMs: 0, resumeType: 'third', resumeDataJson: 'null' }]);
      [r] = await rows(q, 'id = $1', [id]);
      assert.deepEqual([r.state, r.attempts, r.resume_type, r.resume_data], ['failed', 3, 'third', null]);
      assert.equal((await db.query(`SELECT resume_data::text AS d FROM "${q.schema}".tasks WHERE id = $1`, [id])).rows[0].d, 'null');
      // A retry by hand of the failed task resumes there too; completing the task deletes it with its resume point.
      assert.deepEqual(await q.retryFailed({ ids: [id] }), [id]);
      const [resumed] = (await claim()).filter((t) => t.id === id);
      assert.deepEqual([resumed.resumeType, resumed.resumeDataJson, resumed.attempt], ['third', 'null', 4]);
      await q.complete('d1', [{ id, resultJson: '1', postback: null }]);
      assert.deepEqual(
        (await rows(q)).map((x) => x.id),
        [plain],
      );
    });

    it('a final failure fails the task now, whatever attempts remain, and keeps its resume point', async () => {
      const q = await queue();
      const [id, other] = await q.enqueue([
        { type: 'f', maxAttempts: 5 },
        { type: 'f', maxAttempts: 5 },
      ]);
      await q.claim('d1', [{ type: 'f', limit: 2 }], LEASE);
      assert.deepEqual(
        await q.fail('d1', [
          { id, error: 'too big; not retried', retryInMs: 60_000, final: true, resumeType: 'g', resumeDataJson: '[1]' },
          { id: other, error: 'flaky', retryInMs: 60_000, final: false },
        ]),
        { retried: 1, failed: 1 },
      );
      const [r, o] = await rows(q);
      assert.deepEqual(
        [r.state, r.attempts, r.max_attempts, r.last_error, r.later, r.resume_type, r.resume_data],
        ['failed', 1, 5, 'too big; not retried', false, 'g', [1]],
      );
      assert.deepEqual([o.state, o.attempts, o.later], ['available', 1, true]);
      assert.deepEqual(
        (await q.listFailed()).map((f) => f.id),
        [id],
      );
    });

    it('release gives tasks back and returns the attempt; only the holder can release', async () => {
      const q = await queue();
      const [a, b] = await q.enqueue([{ type: 'r' }, { type: 'r' }]);
      await q.claim('d1', [{ type: 'r', limit: 2 }], LEASE);
      assert.equal(await q.release('d2', [a, b]), 0);
      assert.equal(await q.release('d1', [a]), 1);
      assert.deepEqual(
        (await rows(q)).map((r) => [r.id, r.state, r.attempts, r.claimed_by, r.leased]),
        [
          [a, 'available', 0, null, null],
          [b, 'claimed', 1, 'd1', true],
        ],
      );
      assert.equal((await q.claim('d3', [{ type: 'r', limit: 5 }], LEASE))[0]?.attempt, 1, 'the released task is claimable, as a first attempt');
      assert.equal(await q.release('d1', []), 0);
    });

    it('release with resume points: chains given back part-way go on at their step, the others keep theirs', async () => {
      const q = await queue();
      const [a, b, c] = await q.enqueue([{ type: 'r' }, { type: 'r' }, { type: 'r' }]);
      await q.claim('d1', [{ type: 'r', limit: 3 }], LEASE);
      await q.fail('d1', [{ id: c, error: 'x', retryInMs: 0, resumeType: 'third', resumeDataJson: '3' }]);
      await db.query(`UPDATE "${q.schema}".tasks SET run_at = now()`);
      await q.claim('d1', [{ type: 'r', limit: 1 }], LEASE);
      const at = [{ id: a, resumeType: 'second', resumeDataJson: '{"from":"first"}' }];
      assert.equal(await q.release('d2', [a, b, c], at), 0, 'only the holder can release');
      assert.equal(await q.release('d1', [a, b, c], at), 3);
      assert.deepEqual(
        (await rows(q)).map((r) => [r.id, r.state, r.attempts, r.claimed_by, r.resume_type, r.resume_data]),
        [
          [a, 'available', 0, null, 'second', { from: 'first' }],
          [b, 'available', 0, null, null, null],
          [c, 'available', 1, null, 'third', 3],
        ],
      );
    });

    it('heartbeat registers the drone and extends its leases only', async () => {
      const q = await queue();
      await q.enqueue([{ type: 'h' }, { type: 'h' }, { type: 'h' }]);
      await q.claim('d1', [{ type: 'h', limit: 2 }], LEASE);
      await q.claim('d2', [{ type: 'h', limit: 1 }], LEASE);
      await db.query(`UPDATE "${q.schema}".tasks SET lease_until = now() - interval '1 minute'`);
      const drone = { id: 'd1', host: 'box', pid: 42, taskTypes: ['h', 'x'], startedAt: new Date('2024-01-02T03:04:05Z') };
      assert.equal(await q.heartbeat(drone, LEASE), 2);
      assert.equal(await q.heartbeat(drone, LEASE), 2, 'a second beat updates the same row');
      assert.deepEqual(
        (await rows(q)).map((r) => [r.claimed_by, r.leased]),
        [
          ['d1', true],
          ['d1', true],
          ['d2', false],
        ],
      );
      const { rows: drones } = await db.query(`SELECT * FROM "${q.schema}".drones`);
      assert.deepEqual(
        drones.map((d) => [d.id, d.host, d.pid, d.task_types, d.started_at.toISOString(), d.lease_ms]),
        [['d1', 'box', 42, ['h', 'x'], '2024-01-02T03:04:05.000Z', LEASE]],
      );
    });

    it('heartbeat given the held ids extends only those: a claim the drone never received runs out', async () => {
      const q = await queue();
      await q.enqueue([{ type: 'h' }, { type: 'h' }, { type: 'h' }]);
      const [held, lost, other] = await q.claim('d1', [{ type: 'h', limit: 3 }], LEASE);
      await db.query(`UPDATE "${q.schema}".tasks SET lease_until = now() - interval '1 minute'`);
      const drone = { id: 'd1', host: 'box', pid: 42, taskTypes: ['h'], startedAt: new Date() };
      assert.equal(await q.heartbeat(drone, LEASE, [held.id, other.id, '999999']), 2);
      assert.deepEqual(
        (await rows(q)).map((r) => [r.id, r.leased]),
        [
          [held.id, true],
          [lost.id, false],
          [other.id, true],
        ].sort(),
      );
      assert.deepEqual(await q.rescueExpired(), [lost.id]);
      assert.equal(await q.heartbeat(drone, LEASE, []), 0, 'holding nothing extends nothing');
    });

    it('rescueExpired frees tasks whose lease passed, or fails them when attempts are used up', async () => {
      const q = await queue();
      const [retry, last, fresh] = await q.enqueue([{ type: 'x' }, { type: 'x', maxAttempts: 1 }, { type: 'x' }]);
      await q.claim('dead', [{ type: 'x', limit: 3 }], LEASE);
      await db.query(`UPDATE "${q.schema}".tasks SET lease_until = now() - interval '1 second' WHERE id <> $1`, [fresh]);
      assert.deepEqual((await q.rescueExpired()).sort(), [retry, last].sort());
      const [r1, r2, r3] = await rows(q);
      assert.deepEqual([r1.state, r1.attempts, r1.claimed_by, r1.lease_until], ['available', 1, null, null]);
      assert.equal(r2.state, 'failed');
      for (const r of [r1, r2]) assert.match(r.last_error, /lease expired: drone dead stopped heartbeating/);
      assert.deepEqual([r3.state, r3.claimed_by], ['claimed', 'dead']);
      assert.deepEqual(await q.rescueExpired(), []);
    });

    it('rescueExpired keeps the resume point an earlier attempt recorded: the next attempt starts there', async () => {
      const q = await queue();
      const [id] = await q.enqueue([{ type: 'x' }]);
      await q.claim('d1', [{ type: 'x', limit: 1 }], LEASE);
      await q.fail('d1', [{ id, error: 'step 2', retryInMs: 0, resumeType: 'second', resumeDataJson: '[2]' }]);
      await db.query(`UPDATE "${q.schema}".tasks SET run_at = now()`);
      await q.claim('dead', [{ type: 'x', limit: 1 }], LEASE);
      await db.query(`UPDATE "${q.schema}".tasks SET lease_until = now() - interval '1 second'`);
      assert.deepEqual(await q.rescueExpired(), [id]);
      const [again] = await q.claim('d2', [{ type: 'x', limit: 1 }], LEASE);
      assert.deepEqual([again.attempt, again.resumeType, again.resumeDataJson], [3, 'second', '[2]']);
    });

    it('reclaim keeps tasks still claimed by the drone or available, not those another drone took', async () => {
      const q = await queue();
      const [mine, freed, taken, done] = await q.enqueue([{ type: 'a' }, { type: 'b' }, { type: 'c' }, { type: 'd' }]);
      await q.claim('me', [{ type: 'a', limit: 1 }], LEASE);
      await q.claim('other', [{ type: 'c', limit: 1 }], LEASE);
      await db.query(`DELETE FROM "${q.schema}".tasks WHERE id = $1`, [done]);
      const kept = await q.reclaim('me', [mine, freed, taken, done], LEASE);
      assert.deepEqual([...kept].sort(), [mine, freed].sort());
      assert.deepEqual(
        (await rows(q)).map((r) => [r.state, r.claimed_by, r.leased]),
        [
          ['claimed', 'me', true],
          ['claimed', 'me', true],
          ['claimed', 'other', true],
        ],
      );
      assert.deepEqual(await q.reclaim('me', [], LEASE), new Set());
    });

    it('releaseAllExcept gives back what the drone holds except the kept ids', async () => {
      const q = await queue();
      const [a, b, c, d] = await q.enqueue([{ type: 'a' }, { type: 'a' }, { type: 'a' }, { type: 'b' }]);
      await q.claim('me', [{ type: 'a', limit: 3 }], LEASE);
      await q.claim('other', [{ type: 'b', limit: 1 }], LEASE);
      assert.equal(await q.releaseAllExcept('me', [b]), 2);
      assert.deepEqual(
        (await rows(q)).map((r) => [r.id, r.state, r.claimed_by, r.attempts]),
        [
          [a, 'available', null, 0],
          [b, 'claimed', 'me', 1],
          [c, 'available', null, 0],
          [d, 'claimed', 'other', 1],
        ],
      );
      assert.equal(await q.releaseAllExcept('me', []), 1);
      assert.equal((await rows(q, `claimed_by = 'me'`)).length, 0);
    });

    it('overview counts per type and state; the fleet says which drones are alive', async () => {
      const q = await queue();
      await q.enqueue([
        { type: 'a', priority: 2, maxAttempts: 1 },
        { type: 'a', priority: 1 },
        { type: 'a' },
        { type: 'b', runAt: new Date(Date.now() + 3_600_000) },
      ]);
      const [doomed] = await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      await q.fail('d1', [{ id: doomed.id, error: 'x', retryInMs: 0 }]);
      await q.claim('d1', [{ type: 'a', limit: 1 }], LEASE);
      const base = { host: 'h', pid: 1, taskTypes: ['a'], startedAt: new Date() };
      await q.heartbeat({ ...base, id: 'alive' }, LEASE);
      await q.heartbeat({ ...base, id: 'gone' }, LEASE);
      await db.query(`UPDATE "${q.schema}".drones SET heartbeat_at = now() - interval '1 hour' WHERE id = 'gone'`);
      const types = await q.overview(100);
      assert.deepEqual(
        types.map((t) => [t.type, t.available, t.scheduled, t.claimed, t.failed, t.capped, t.servedBy, t.unserved]),
        [
          ['a', 1, 0, 1, 1, false, ['alive'], false],
          ['b', 0, 1, 0, 0, false, [], false],
        ],
      );
      const drones = await q.fleet();
      assert.deepEqual(drones.map((d) => [d.id, d.state]).sort(), [
        ['alive', 'alive'],
        ['gone', 'dead'],
      ]);
    });

    it('listFailed, retryFailed and deleteFailed act on failed tasks only', async () => {
      const q = await queue();
      const [f1, f2, f3, ok] = await q.enqueue([
        { type: 'x', data: { n: 1 }, maxAttempts: 1 },
        { type: 'y', maxAttempts: 1 },
        { type: 'x', maxAttempts: 1 },
        { type: 'x' },
      ]);
      const got = await q.claim(
        'd',
        [
          { type: 'x', limit: 2 },
          { type: 'y', limit: 1 },
        ],
        LEASE,
      );
      assert.deepEqual(ids(got), [f1, f2, f3].sort());
      await q.fail(
        'd',
        got.map((t) => ({ id: t.id, error: `err ${t.id}`, stack: 'st', retryInMs: 0 })),
      );
      const all = await q.listFailed();
      assert.deepEqual(
        all.map((f) => [f.id, f.type, f.attempts, f.maxAttempts, f.lastError, f.lastErrorStack]),
        [
          [f1, 'x', 1, 1, `err ${f1}`, 'st'],
          [f2, 'y', 1, 1, `err ${f2}`, 'st'],
          [f3, 'x', 1, 1, `err ${f3}`, 'st'],
        ],
      );
      assert.deepEqual(all[0].data, { n: 1 });
      assert.deepEqual(
        (await q.listFailed({ types: ['x'] })).map((f) => f.id),
        [f1, f3],
      );
      assert.deepEqual(
        (await q.listFailed({ afterId: f1, limit: 1 })).map((f) => f.id),
        [f2],
      );
      assert.deepEqual(await q.retryFailed({ ids: [f1, ok] }), [f1]);
      const [again] = await q.claim('d', [{ type: 'x', limit: 5 }], LEASE).then((ts) => ts.filter((t) => t.id === f1));
      assert.deepEqual([again.attempt, again.maxAttempts], [2, 2], 'a retry gets one more attempt');
      assert.deepEqual(await q.deleteFailed({ ids: [f2, ok, f1] }), [f2]);
      assert.deepEqual(
        (await rows(q)).map((r) => r.id),
        [f1, f3, ok],
      );
      // All failed tasks of some types: f3 is the only failed x left.
      assert.deepEqual(await q.retryFailed({ types: ['y', 'x'] }), [f3]);
      assert.deepEqual(await q.deleteFailed({ types: ['x'] }), []);
    });

    it('takePostbacks removes and returns available rows of the postback type in id order', async () => {
      const q = await queue();
      const [p1, p2, p3] = await q.enqueue([{ type: 'pb', data: { r: 1 } }, { type: 'pb', data: 2 }, { type: 'pb', data: [3] }, { type: 'other' }]);
      // Enqueued directly, they answer no task: no trace id.
      assert.deepEqual(await q.takePostbacks('pb', 2), [
        { id: p1, dataJson: '{"r": 1}', traceId: null },
        { id: p2, dataJson: '2', traceId: null },
      ]);
      assert.deepEqual(await q.takePostbacks('pb', 10), [{ id: p3, dataJson: '[3]', traceId: null }]);
      assert.deepEqual(await q.takePostbacks('pb', 10), []);
      assert.deepEqual(
        (await rows(q)).map((r) => r.type),
        ['other'],
      );
    });

    it('a postback names the task it answers (its trace id)', async () => {
      const q = await queue();
      const [t] = await q.enqueue([{ type: 'x', postback: 'answers' }]);
      await q.claim('d', [{ type: 'x', limit: 1 }], LEASE);
      await q.complete('d', [{ id: t, resultJson: '"ok"', postback: 'answers' }]);
      assert.deepEqual(
        (await q.takePostbacks('answers', 10)).map((r) => [r.dataJson, r.traceId]),
        [['"ok"', t]],
      );
    });

    it('progress: each waited-on task where it is, and the live drones serving the type', async () => {
      const q = await queue();
      const [waiting, running, failing, done] = await q.enqueue([
        { type: 'w', data: 1, runAt: new Date(Date.now() + 60_000) },
        { type: 'w', data: 2 },
        { type: 'w', data: 3, maxAttempts: 1 },
        { type: 'w', data: 4 },
      ]);
      assert.equal((await q.progress([waiting], 'w')).served, 0, 'no drone registered');
      await q.heartbeat({ id: 'd', host: 'box', pid: 1, taskTypes: ['w'], startedAt: new Date() }, LEASE);
      await q.heartbeat({ id: 'other', host: 'box', pid: 2, taskTypes: ['v'], startedAt: new Date() }, LEASE);
      await q.claim('d', [{ type: 'w', limit: 3 }], LEASE);
      await q.fail('d', [{ id: failing, error: 'boom', stack: 'at w', retryInMs: 0 }]);
      await q.complete('d', [{ id: done, resultJson: 'null' }]);
      const p = await q.progress([waiting, running, failing, done], 'w');
      assert.equal(p.served, 1);
      assert.ok(Math.abs(p.now - Date.now()) < 60_000, 'the database clock, in ms');
      const byId = new Map(p.tasks.map((t) => [t.id, t]));
      assert.equal(byId.size, 3, 'the done task is gone');
      assert.equal(byId.get(waiting)?.state, 'available');
      assert.ok(byId.get(waiting)!.runAt > p.now + 50_000);
      assert.equal(byId.get(running)?.state, 'claimed');
      assert.deepEqual(
        { ...byId.get(failing), runAt: 0 },
        { id: failing, state: 'failed', attempts: 1, maxAttempts: 1, runAt: 0, error: 'boom', stack: 'at w' },
      );
    });

    // jsonb rejects \u0000 and retry_ms is an int: such an outcome must not make a whole outbox batch fail.
    it('records failures whose text holds NUL or whose retry delay exceeds 2^31 ms; names a NUL result', async () => {
      const q = await queue();
      const [a, b, c] = await q.enqueue([{ type: 'x' }, { type: 'x' }, { type: 'x' }]);
      await q.claim('d', [{ type: 'x', limit: 3 }], LEASE);
      assert.deepEqual(await q.fail('d', [{ id: a, error: 'bad\u0000byte', retryInMs: 0 }]), { retried: 1, failed: 0 });
      assert.deepEqual(await q.fail('d', [{ id: b, error: 'x', retryInMs: 30 * 86_400_000 }]), { retried: 1, failed: 0 });
      const {
        rows: [ra],
      } = await db.query(`SELECT last_error FROM "${q.schema}".tasks WHERE id = $1`, [a]);
      assert.equal(ra.last_error, 'bad\uFFFDbyte');
      await assert.rejects(
        q.complete('d', [{ id: c, resultJson: JSON.stringify('a\u0000b') }]),
        new RegExp(`task ${c}: the result contains the NUL character`),
      );
    });

    it('the SQL enqueue function works with defaults and falls back on NULLs', async () => {
      const q = await queue();
      const fn = `"${q.schema}".enqueue`;
      const {
        rows: [{ id }],
      } = await db.query(`SELECT ${fn}('t') AS id`);
      const {
        rows: [{ id: id2 }],
      } = await db.query(`SELECT ${fn}('t', '{"a":1}', NULL, NULL, NULL, NULL) AS id`);
      const [r1, r2] = await rows(q);
      assert.deepEqual(
        [r1.id, r1.type, r1.data, r1.postback, r1.priority, r1.max_attempts, r1.state, r1.later],
        [id, 't', null, null, 0, 5, 'available', false],
      );
      assert.deepEqual([r2.id, r2.data, r2.priority, r2.max_attempts, r2.later], [id2, { a: 1 }, 0, 5, false]);
      await db.query(`SELECT ${fn}('t', NULL, 'reply', 7, now() + interval '1 hour', 2)`);
      const [, , r3] = await rows(q);
      assert.deepEqual([r3.data, r3.postback, r3.priority, r3.max_attempts, r3.later], [null, 'reply', 7, 2, true]);
    });

    it('the SQL enqueue function rejects bad input with a message that says what is wrong', async () => {
      const q = await queue();
      const fn = `"${q.schema}".enqueue`;
      for (const [call, msg] of [
        [`${fn}(NULL)`, /task_type must be a non-empty text/],
        [`${fn}('')`, /task_type must be a non-empty text/],
        [`${fn}('local:x')`, /task_type local:x uses the "local:" prefix/],
        [`${fn}('t', max_attempts => 0)`, /max_attempts must be at least 1, got 0/],
        [`${fn}('t', jsonb_build_object('s', repeat('x', 1048576)))`, /task_data is \d+ bytes; the limit is 1048576/],
        [`${fn}(repeat('y', 201))`, /task_type is 201 characters long; the limit is 200/],
        [`${fn}('t', postback => '')`, /postback must be 1 to 200 characters/],
      ] as const)
        await assert.rejects(db.query(`SELECT ${call}`), msg, call);
      assert.equal((await rows(q)).length, 0);
    });

    it('stores task types with quotes and SQL-looking text verbatim', async () => {
      const q = await queue();
      const weird = [`x'); DROP TABLE tasks; --`, `a"b`, `semi;colon`, `O'Reilly`, `%s %I`, `ünï ☃`];
      for (const t of weird) await db.query(`SELECT "${q.schema}".enqueue($1)`, [t]);
      await q.enqueue(weird.map((type) => ({ type })));
      assert.deepEqual(
        (await rows(q)).map((r) => r.type),
        [...weird, ...weird],
      );
      assert.equal(
        (
          await q.claim(
            'd',
            weird.map((type) => ({ type, limit: 10 })),
            LEASE,
          )
        ).length,
        12,
      );
      assert.equal((await db.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`"${q.schema}".tasks`])).rows[0].ok, true);
    });

    it('notifies "<schema>_tasks" with the task type, once per type per statement', async () => {
      const q = await queue();
      const listener = await sqlClient(url);
      try {
        const got: string[] = [];
        listener.on('notification', (m) => got.push(`${m.channel}:${m.payload}`));
        await listener.query(`LISTEN "${q.schema}_tasks"`);
        await q.enqueue([{ type: 'a' }, { type: 'b' }, { type: 'a' }, { type: 'later', runAt: new Date(Date.now() + 3_600_000) }]);
        await q.enqueue([{ type: 'a' }]);
        await db.query(`SELECT "${q.schema}".enqueue('c')`);
        await db.query(`SELECT pg_notify($1, 'marker')`, [`${q.schema}_tasks`]);
        await waitFor('the marker notification', () => got.some((g) => g.endsWith(':marker')), 10_000);
        const ch = `${q.schema}_tasks`;
        assert.deepEqual(got.sort(), [`${ch}:a`, `${ch}:a`, `${ch}:b`, `${ch}:c`, `${ch}:marker`]);
      } finally {
        await listener.end();
      }
    });
  });
