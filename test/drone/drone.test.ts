import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import type pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { startDrone, type TestDrone } from '../helpers/drone.js';
import { EXAMPLES, FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';
import { SwarmageClient } from '../../core/swarmageClient.js';

const demoWorkers = {
  factorial: { module: path.join(EXAMPLES, 'workers/factorial.js') },
  hexadecimal: [{ module: path.join(EXAMPLES, 'workers/hexadecimal.js') }, { module: path.join(EXAMPLES, 'workers/hexadecimal.js') }],
};

describe('drone', () => {
  let url: string;
  let sql: pg.Client;
  const drones: TestDrone[] = [];
  const clients: SwarmageClient[] = [];

  before(async () => {
    url = await testDatabaseUrl();
    sql = await sqlClient(url);
  });
  after(async () => {
    await Promise.all(drones.map((d) => d.drone.stop()));
    await Promise.all(clients.map((c) => c.close()));
    await sql.end();
  });

  async function setup(config: Parameters<typeof startDrone>[2]) {
    const schema = freshSchema();
    const d = await startDrone(url, schema, config);
    drones.push(d);
    const client = await SwarmageClient.connect({ connectionString: url, schema });
    clients.push(client);
    return { ...d, schema, client };
  }

  it('runs a task and deletes it when done', async () => {
    const { client, schema } = await setup({ workers: { echo: { module: path.join(FIXTURES, 'workers/echo.js') } } });
    const id = await client.enqueue('echo', { hello: 'world' }, { postback: 'echo-answer' });
    const answer = await waitFor('the postback', async () => (await sql.query(`SELECT data FROM ${schema}.tasks WHERE type = 'echo-answer'`)).rows[0]);
    assert.deepEqual(answer.data, { hello: 'world' });
    const left = await sql.query(`SELECT 1 FROM ${schema}.tasks WHERE id = $1`, [id]);
    assert.equal(left.rowCount, 0, 'a finished task is deleted');
  });

  it('follows the local: chain and posts the final result back: factorial 5 → "78"', async () => {
    const { client, drone } = await setup({ workers: demoWorkers });
    assert.equal(await client.request('factorial', 5, { timeoutMs: 20_000 }), '78');
    assert.equal(await client.request('factorial', 20, { timeoutMs: 20_000 }), 2432902008176640000n.toString(16));
    const types = Object.fromEntries(drone.snapshot().types.map((t) => [t.type, t]));
    assert.ok(types.factorial.done >= 2 && types.hexadecimal.done >= 2, 'both steps ran in this drone');
  });

  it('never buffers more of a type than maxPerWorker × instances', async () => {
    const out = path.join(tmpDir(), 'runs.txt');
    const spec = { module: path.join(FIXTURES, 'workers/record.js'), config: { file: out, delayMs: 1 } };
    const { client, drone, schema } = await setup({ workers: { flood: [spec, spec] }, maxPerWorker: 15 });
    let maxBuffered = 0;
    drone.on('changed', () => {
      maxBuffered = Math.max(maxBuffered, drone.buffered('flood'));
    });
    await client.enqueueMany(Array.from({ length: 2000 }, (_, i) => ({ type: 'flood', data: i })));
    await waitFor('2000 runs', () => fs.existsSync(out) && fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).length >= 2000, 120_000, 100);
    assert.equal(drone.capacity('flood'), 30);
    assert.ok(maxBuffered > 0 && maxBuffered <= 30, `buffered peaked at ${maxBuffered}`);
    await waitFor('an empty queue', async () => (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks`)).rows[0].n === 0);
  });

  it('retries a throwing worker with backoff, then leaves the task failed with its error; others carry on', async () => {
    const { client, schema } = await setup({
      workers: { faulty: { module: path.join(FIXTURES, 'workers/faulty.js'), timeoutMs: 1000 } },
      retry: { baseMs: 20, maxMs: 200 },
    });
    const [bad] = await client.enqueueMany([{ type: 'faulty', data: { mode: 'throw' }, maxAttempts: 3 }]);
    const good = await client.request('faulty', { mode: 'ok', n: 1 }, { timeoutMs: 20_000 });
    assert.deepEqual(good, { ok: { mode: 'ok', n: 1 } });
    const row = await waitFor(
      'the failed state',
      async () => (await sql.query(`SELECT * FROM ${schema}.tasks WHERE id = $1 AND state = 'failed'`, [bad])).rows[0],
      30_000,
    );
    assert.equal(row.attempts, 3);
    assert.match(row.last_error, /asked to throw \(attempt 3\)/);
    assert.match(row.last_error_stack, /faulty\.js/);
  });

  for (const mode of ['exit', 'hang', 'abort'] as const) {
    it(`survives a worker that ${mode === 'hang' ? 'hangs past timeoutMs' : mode === 'exit' ? 'exits the process' : 'aborts (a crash)'}: the attempt fails, the instance respawns`, async () => {
      const { client, schema, drone } = await setup({
        workers: { faulty: { module: path.join(FIXTURES, 'workers/faulty.js'), timeoutMs: 500 } },
        retry: { baseMs: 20, maxMs: 100 },
      });
      const [bad] = await client.enqueueMany([{ type: 'faulty', data: { mode }, maxAttempts: 2 }]);
      const row = await waitFor(
        'the failed state',
        async () => (await sql.query(`SELECT * FROM ${schema}.tasks WHERE id = $1 AND state = 'failed'`, [bad])).rows[0],
        30_000,
      );
      assert.equal(row.attempts, 2);
      assert.match(row.last_error, mode === 'hang' ? /timed out after 500 ms/ : mode === 'exit' ? /exited \(code 3\)/ : /exited \(signal SIGABRT\)/);
      // The instance came back and does ordinary work again.
      assert.deepEqual(await client.request('faulty', { mode: 'ok' }, { timeoutMs: 20_000 }), { ok: { mode: 'ok' } });
      assert.ok(drone.snapshot().workers[0].restarts >= 1);
    });
  }

  it('fails a chain to a type this drone has no worker for, saying so', async () => {
    const { client, schema } = await setup({
      workers: { start: { module: path.join(FIXTURES, 'workers/chain-to-nowhere.js') } },
      retry: { baseMs: 10, maxMs: 10 },
    });
    const [id] = await client.enqueueMany([{ type: 'start', data: 1, maxAttempts: 1 }]);
    const row = await waitFor(
      'the failed state',
      async () => (await sql.query(`SELECT * FROM ${schema}.tasks WHERE id = $1 AND state = 'failed'`, [id])).rows[0],
    );
    assert.match(row.last_error, /local:nobody-serves-this.*no worker for "nobody-serves-this"/);
  });

  it('fails a task whose result is not JSON-serialisable, with a clear error', async () => {
    const { client, schema } = await setup({ workers: { big: { module: path.join(FIXTURES, 'workers/unserialisable.js') } } });
    const [id] = await client.enqueueMany([{ type: 'big', maxAttempts: 1 }]);
    const row = await waitFor(
      'the failed state',
      async () => (await sql.query(`SELECT * FROM ${schema}.tasks WHERE id = $1 AND state = 'failed'`, [id])).rows[0],
    );
    assert.match(row.last_error, /not JSON-serialisable/);
  });

  it('fails at once, after one attempt of 5, a task whose result is over the size limit or not JSON: a retry cannot succeed', async () => {
    const { client, schema } = await setup({
      workers: { bad: { module: path.join(FIXTURES, 'workers/bad-results.js') } },
      retry: { baseMs: 10, maxMs: 10 },
    });
    const cases: Array<[string, RegExp]> = [
      ['huge', /^the worker returned 1048579 bytes of JSON; the limit is 1048576 \(1 MiB\); not retried: another attempt would fail the same way$/],
      ['bigint', /^the worker returned a value that is not JSON-serialisable: .*BigInt.*; not retried: another attempt would fail the same way$/],
      ['circular', /^the worker returned a value that is not JSON-serialisable: .*circular.*; not retried/is],
    ];
    const ids = await client.enqueueMany(cases.map(([kind]) => ({ type: 'bad', data: { kind }, maxAttempts: 5 })));
    const rows = await waitFor('every task failed', async () => {
      const r = (await sql.query(`SELECT * FROM ${schema}.tasks WHERE id = ANY($1) AND state = 'failed' ORDER BY id`, [ids])).rows;
      return r.length === ids.length ? r : null;
    });
    for (const [i, [kind, expected]] of cases.entries()) {
      assert.deepEqual([rows[i].id, rows[i].attempts, rows[i].max_attempts], [ids[i], 1, 5], kind);
      assert.match(rows[i].last_error, expected);
    }
  });

  it('fails a task whose result holds NUL (Postgres cannot store it), and keeps going', async () => {
    const { client, schema } = await setup({
      workers: { nul: { module: path.join(FIXTURES, 'workers/nul.js') }, echo: { module: path.join(FIXTURES, 'workers/echo.js') } },
    });
    const [id] = await client.enqueueMany([{ type: 'nul', maxAttempts: 1 }]);
    const row = await waitFor(
      'the failed state',
      async () => (await sql.query(`SELECT * FROM ${schema}.tasks WHERE id = $1 AND state = 'failed'`, [id])).rows[0],
    );
    assert.match(row.last_error, /NUL character/);
    assert.equal(await client.request('echo', 'still fine', { timeoutMs: 20_000 }), 'still fine');
  });

  it('leaves tasks of types it does not serve untouched', async () => {
    const { client, schema } = await setup({ workers: demoWorkers });
    const [other] = await client.enqueueMany([{ type: 'somebody-else', data: 1 }]);
    assert.equal(await client.request('factorial', 3, { timeoutMs: 20_000 }), '6');
    const row = (await sql.query(`SELECT * FROM ${schema}.tasks WHERE id = $1`, [other])).rows[0];
    assert.equal(row.state, 'available');
    assert.equal(row.attempts, 0);
    assert.equal(row.claimed_by, null);
  });

  it('refuses to start when a worker module lacks work(), naming it, and claims nothing', async () => {
    const schema = freshSchema();
    const client = await SwarmageClient.connect({ connectionString: url, schema });
    clients.push(client);
    await client.enqueue('broken', 1);
    await assert.rejects(
      startDrone(url, schema, { workers: { broken: { module: path.join(FIXTURES, 'workers/no-work.js') } } }),
      /workers\.broken\.module: .*no-work\.js: the default export must be an object with a work\(task, ctx\) function/,
    );
    await assert.rejects(
      startDrone(url, schema, { workers: { broken: { module: path.join(FIXTURES, 'workers/throws-on-import.js') } } }),
      /workers\.broken\.module: cannot load .*throws-on-import\.js: broken on purpose at import/,
    );
    const rows = (await sql.query(`SELECT state, attempts FROM ${schema}.tasks`)).rows;
    assert.deepEqual(rows, [{ state: 'available', attempts: 0 }]);
    assert.equal((await sql.query(`SELECT count(*)::int AS n FROM ${schema}.drones`)).rows[0].n, 0);
  });

  it('on stop gives unstarted tasks back to the global queue without counting an attempt', async () => {
    const out = path.join(tmpDir(), 'runs.txt');
    const { client, schema, drone } = await setup({
      workers: { slow: { module: path.join(FIXTURES, 'workers/record.js'), config: { file: out, delayMs: 300 }, prefetch: 1 } },
      maxPerWorker: 10,
      shutdownGraceMs: 5000,
    });
    await client.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ type: 'slow', data: i })));
    await waitFor('a full buffer', () => drone.buffered('slow') === 10);
    await drone.stop();
    const runs = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
    const rows = (await sql.query(`SELECT state, attempts, claimed_by FROM ${schema}.tasks`)).rows;
    assert.equal(rows.length, 10 - runs, 'finished tasks are gone, the rest are still on the queue');
    assert.ok(rows.length > 0);
    for (const r of rows) assert.deepEqual(r, { state: 'available', attempts: 0, claimed_by: null });
    assert.equal((await sql.query(`SELECT count(*)::int AS n FROM ${schema}.drones`)).rows[0].n, 0, 'deregistered');
  });

  // A chain retried after a failure at its second step starts again at that step, with the input it
  // had: the first step, which counts its runs in a file, runs once however often the second fails.
  describe('a retried chain resumes at the step that failed', () => {
    const module = path.join(FIXTURES, 'workers/resume-chain.js');
    /** The chain first → local:second, both recording their runs in `runs`, with the steps' own configs. */
    const chainWorkers = (runs: string, second: Record<string, unknown>, first: Record<string, unknown> = {}) => ({
      first: { module, config: { role: 'first', runs, next: 'second', ...first } },
      second: { module, config: { role: 'second', runs, ...second } },
    });
    const retry = { baseMs: 10, maxMs: 50 };

    /** A drone serving the chain, on a schema of its own; lines() are the runs recorded. */
    async function chain(second: Record<string, unknown>, first: Record<string, unknown> = {}, more: { shutdownGraceMs?: number } = {}) {
      const runs = path.join(tmpDir(), 'runs.txt');
      const d = await setup({ workers: chainWorkers(runs, second, first), retry, ...more });
      const lines = () => (fs.existsSync(runs) ? fs.readFileSync(runs, 'utf8').split('\n').filter(Boolean) : []);
      return { ...d, runs, lines };
    }

    const answerOf = async (schema: string, id: string) =>
      (await sql.query(`SELECT data FROM "${schema}".tasks WHERE type = 'done' AND trace_id = $1`, [id])).rows[0]?.data;

    it('a second step that fails twice: the first ran once, the third attempt resumed with its output and completed', async () => {
      const { client, schema, drone, lines } = await chain({ failUntil: 2 });
      const [id] = await client.enqueueMany([{ type: 'first', data: 7, maxAttempts: 5, postback: 'done' }]);
      const answer = await waitFor('the answer', () => answerOf(schema, id));
      assert.deepEqual(answer, { got: { from: 'first', n: 7 }, attempt: 3, prev: null });
      assert.deepEqual(lines(), [`first ${id} 1`], 'the first step ran exactly once');
      assert.equal((await sql.query(`SELECT 1 FROM "${schema}".tasks WHERE id = $1`, [id])).rowCount, 0, 'the task is done and gone');
      // The trace: the first attempt's two steps, then each later attempt starting at the second step, marked resumed.
      const steps = await drone.local!.trace(id);
      assert.deepEqual(
        steps.map((s) => [s.type, s.state, s.attempt, s.parentId === null, s.resumed]),
        [
          ['first', 'hopped', 1, true, false],
          ['second', 'failed', 1, false, false],
          ['second', 'failed', 2, true, true],
          ['second', 'done', 3, true, true],
        ],
      );
      assert.deepEqual(
        steps.slice(1).map((s) => JSON.parse(s.dataJson)),
        [
          { from: 'first', n: 7 },
          { from: 'first', n: 7 },
          { from: 'first', n: 7 },
        ],
        "every attempt of the second step got the first step's output",
      );
      const trace = await drone.explorer.trace(id);
      assert.deepEqual(
        trace!.steps.map((s) => [s.type, s.resumed]),
        [
          ['first', false],
          ['second', false],
          ['second', true],
          ['second', true],
        ],
      );
    });

    it('a drone stopped while a chain is part-way gives it back at the step it reached, where another drone goes on', async () => {
      const { client, schema, drone, runs, lines } = await chain({ holdMs: 60_000 }, {}, { shutdownGraceMs: 100 });
      const [id] = await client.enqueueMany([{ type: 'first', data: 3, postback: 'done' }]);
      await waitFor('the second step running', () => lines().includes(`second ${id} 1`));
      await drone.stop();
      const [row] = (await sql.query(`SELECT * FROM "${schema}".tasks WHERE id = $1`, [id])).rows;
      assert.deepEqual(
        [row.state, row.attempts, row.resume_type, row.resume_data],
        ['available', 0, 'second', { from: 'first', n: 3 }],
        'given back without counting the attempt, with where it had got to',
      );
      drones.push(await startDrone(url, schema, { workers: chainWorkers(runs, {}), retry }));
      assert.deepEqual(await waitFor('the answer', () => answerOf(schema, id)), { got: { from: 'first', n: 3 }, attempt: 1, prev: null });
      assert.deepEqual(
        lines().filter((l) => l.startsWith('first')),
        [`first ${id} 1`],
        'the first step ran once, on the first drone',
      );
    });

    it('a resume point whose input Postgres cannot store is left out: the failure is kept, the retry starts at the first step', async () => {
      const { client, schema, lines, ring } = await chain({ failUntil: 1 }, { lone: true });
      const [id] = await client.enqueueMany([{ type: 'first', data: 'y', maxAttempts: 2 }]);
      await waitFor('the task done', async () => (await sql.query(`SELECT 1 FROM "${schema}".tasks WHERE id = $1`, [id])).rowCount === 0);
      assert.deepEqual(lines(), [`first ${id} 1`, `first ${id} 2`]);
      assert.ok(
        ring.recent().some((l) => /Postgres refused the failure of task \d+: .*; sending it without its resume point/.test(l.msg)),
        'the log says why',
      );
    });

    it('a chain failed at its second step (attempts used up) and retried by hand resumes there', async () => {
      const broken = path.join(tmpDir(), 'broken');
      fs.writeFileSync(broken, '');
      const { client, schema, drone, lines } = await chain({ broken });
      const [id] = await client.enqueueMany([{ type: 'first', data: 'x', maxAttempts: 2, postback: 'done' }]);
      const failed = await waitFor(
        'the failed state',
        async () => (await sql.query(`SELECT * FROM "${schema}".tasks WHERE id = $1 AND state = 'failed'`, [id])).rows[0],
      );
      assert.equal(failed.attempts, 2);
      assert.match(failed.last_error, /second step is broken/);
      assert.deepEqual([failed.resume_type, failed.resume_data], ['second', { from: 'first', n: 'x' }], 'the task remembers where it failed');
      assert.deepEqual(lines(), [`first ${id} 1`]);
      fs.rmSync(broken);
      assert.deepEqual(await drone.queue.retryFailed({ ids: [id] }), [id]);
      const answer = await waitFor('the answer', () => answerOf(schema, id));
      assert.deepEqual(answer, { got: { from: 'first', n: 'x' }, attempt: 3, prev: null });
      assert.deepEqual(lines(), [`first ${id} 1`], 'the first step still ran exactly once');
    });
  });
});
