import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import type pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { spawnDrone } from '../helpers/drone.js';
import { FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';
import { SwarmageClient } from '../../core/swarmageClient.js';

/** Drones as separate `swarmage drone` processes, killed for real. */
describe('drones across crashes', () => {
  let url: string;
  let sql: pg.Client;
  const procs: Array<ReturnType<typeof spawnDrone>> = [];

  before(async () => {
    url = await testDatabaseUrl();
    sql = await sqlClient(url);
  });
  after(async () => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await sql.end();
  });

  function drone(dir: string, schema: string, runs: string, extra: Record<string, unknown> = {}) {
    const worker = { module: path.join(FIXTURES, 'workers/record.js'), config: { file: runs, delayMs: 2 } };
    const p = spawnDrone(url, dir, {
      queue: { config: { schema } },
      workers: { rec: [worker, worker] },
      pollIntervalMs: 200,
      localQueue: { path: 'local.sqlite' },
      ...extra,
    });
    procs.push(p);
    return p;
  }

  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

  /** Every enqueued task has exactly one postback and nothing else is left on the queue. */
  async function assertAllDoneOnce(schema: string, ids: string[]) {
    const rows = (await sql.query(`SELECT type, state, data FROM ${schema}.tasks`)).rows;
    assert.ok(
      rows.every((r) => r.type === 'done' && r.state === 'available'),
      `left over: ${JSON.stringify(rows.filter((r) => r.type !== 'done').slice(0, 3))}`,
    );
    const answered = rows.map((r) => r.data.id as string);
    assert.equal(new Set(answered).size, answered.length, 'no task answered twice');
    assert.deepEqual([...answered].sort(), [...ids].sort(), 'every task answered');
  }

  async function enqueue(schema: string, n: number): Promise<string[]> {
    const client = await SwarmageClient.connect({ connectionString: url, schema });
    try {
      return await client.enqueueMany(Array.from({ length: n }, (_, i) => ({ type: 'rec', data: i, postback: 'done' })));
    } finally {
      await client.close();
    }
  }

  const countDone = async (schema: string) => (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE type = 'done'`)).rows[0].n;

  it('SIGKILL mid-run, restart on the same local file: every task done, none lost', async () => {
    const schema = freshSchema();
    const dir = tmpDir();
    const runs = path.join(dir, 'runs.txt');
    const ids = await enqueue(schema, 1500);
    const first = drone(dir, schema, runs);
    await waitFor('some progress', () => lines(runs).length >= 300, 60_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    const held = (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE state = 'claimed'`)).rows[0].n;
    assert.ok(held > 0, 'the killed drone held claimed tasks');
    const second = drone(dir, schema, runs);
    await waitFor('all answers', async () => (await countDone(schema)) === ids.length, 120_000, 100);
    second.proc.kill('SIGTERM');
    assert.equal(await second.exited, 0);
    await assertAllDoneOnce(schema, ids);
    const ran = new Set(lines(runs).map((l) => l.split(' ')[0]));
    assert.equal(ran.size, ids.length, 'every task ran');
    const duplicates = lines(runs).length - ran.size;
    assert.ok(duplicates <= 60, `only tasks in flight at the kill may run twice (${duplicates})`);
  });

  it('SIGKILL mid-chain, restart on the same local file: the chain goes on at the step it had reached', async () => {
    const schema = freshSchema();
    const dir = tmpDir();
    const runs = path.join(dir, 'runs.txt');
    const module = path.join(FIXTURES, 'workers/resume-chain.js');
    const config = (holdMs: number) => ({
      queue: { config: { schema } },
      workers: {
        first: { module, config: { role: 'first', runs, next: 'second' } },
        second: { module, config: { role: 'second', runs, holdMs } },
      },
      pollIntervalMs: 200,
      localQueue: { path: 'local.sqlite' },
    });
    const client = await SwarmageClient.connect({ connectionString: url, schema });
    const [id] = await client.enqueueMany([{ type: 'first', data: 1, postback: 'done' }]).finally(() => client.close());
    const first = spawnDrone(url, dir, config(60_000));
    procs.push(first);
    await waitFor('the second step running', () => lines(runs).includes(`second ${id} 1`), 60_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    const again = spawnDrone(url, dir, config(0));
    procs.push(again);
    const answer = await waitFor(
      'the answer',
      async () => (await sql.query(`SELECT data FROM ${schema}.tasks WHERE type = 'done' AND trace_id = $1`, [id])).rows[0]?.data,
      60_000,
    );
    const { prev, ...rest } = answer;
    assert.deepEqual(rest, { got: { from: 'first', n: 1 }, attempt: 1 }, 'the same attempt, its second step run again');
    assert.equal(typeof prev, 'number', 'as the hop it was, after the first step');
    assert.deepEqual(
      lines(runs).filter((l) => l.startsWith('first')),
      [`first ${id} 1`],
      'the first step, recorded as done in the local queue, did not run again',
    );
    again.proc.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });

  it('three drones share 3,000 tasks: each done exactly once, none left', async () => {
    const schema = freshSchema();
    const runs = path.join(tmpDir(), 'runs.txt');
    const ids = await enqueue(schema, 3000);
    const ds = [0, 1, 2].map(() => drone(tmpDir(), schema, runs));
    await waitFor('all answers', async () => (await countDone(schema)) === ids.length, 120_000, 100);
    for (const d of ds) d.proc.kill('SIGTERM');
    assert.deepEqual(await Promise.all(ds.map((d) => d.exited)), [0, 0, 0]);
    await assertAllDoneOnce(schema, ids);
    const ran = lines(runs);
    assert.equal(ran.length, 3000, 'no task ran twice');
    assert.equal(new Set(ran.map((l) => l.split(' ')[0])).size, 3000);
    assert.equal(new Set(ran.map((l) => l.split(' ')[1])).size, 6, 'all three drones (two workers each) took part');
  });

  it("a dead drone's tasks are taken by another drone once its lease runs out", async () => {
    const schema = freshSchema();
    const runs = path.join(tmpDir(), 'runs.txt');
    const ids = await enqueue(schema, 40);
    const slow = { leaseMs: 1500, workers: { rec: { module: path.join(FIXTURES, 'workers/record.js'), config: { file: runs, delayMs: 200 }, prefetch: 1 } } };
    const a = drone(tmpDir(), schema, runs, slow);
    const aId = await waitFor(
      'A to claim',
      async () => (await sql.query(`SELECT claimed_by FROM ${schema}.tasks WHERE state = 'claimed' LIMIT 1`)).rows[0]?.claimed_by,
    );
    a.proc.kill('SIGKILL');
    await a.exited;
    const b = drone(tmpDir(), schema, runs, { leaseMs: 1500 });
    await waitFor('all answers', async () => (await countDone(schema)) === ids.length, 60_000, 100);
    b.proc.kill('SIGTERM');
    assert.equal(await b.exited, 0);
    await assertAllDoneOnce(schema, ids);
    assert.match(b.output(), /rescued \d+ task\(s\) whose drone stopped heartbeating/);
    const stillA = (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE claimed_by = $1`, [aId])).rows[0].n;
    assert.equal(stillA, 0);
  });
});
