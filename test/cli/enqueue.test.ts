import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { runCli, startDrone, type TestDrone } from '../helpers/drone.js';
import { FIXTURES, tmpDir } from '../helpers/tmp.js';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';

/**
 * `swarmage enqueue --wait` tells the truth: a task that fails its last attempt ends the wait with
 * the worker's error (exit 1), and a wait that is not simply slow says why, as does its timeout.
 */
describe('swarmage enqueue --wait', () => {
  let url: string;
  let config: string;
  let d: TestDrone;

  before(async () => {
    url = await testDatabaseUrl();
    const schema = freshSchema();
    // Retries at least 2 s apart, so the wait sees the task between its attempts.
    d = await startDrone(url, schema, {
      workers: { boom: { module: path.join(FIXTURES, 'workers/faulty.js') }, echo: { module: path.join(FIXTURES, 'workers/echo.js') } },
      retry: { baseMs: 4000, maxMs: 8000 },
    });
    config = path.join(tmpDir(), 'swarmage.config.json');
    fs.writeFileSync(config, JSON.stringify({ queue: { config: { schema } }, workers: {} }));
  });
  after(async () => {
    await d.drone.stop();
  });

  const enqueue = (...args: string[]) => runCli(['enqueue', ...args, '--config', config], { env: { SWARMAGE_DATABASE_URL: url } });

  it('a task that fails its last attempt: the retry is announced, then the error ends the wait with status 1', async () => {
    const res = await enqueue('boom', '{"mode":"throw"}', '--max-attempts', '2', '--wait', '--timeout', '120');
    assert.equal(res.code, 1, res.stderr);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /waiting: task \d+: attempt 1 of 2 failed \(asked to throw \(attempt 1\)\); the next attempt at \d{4}-\d\d-\d\dT/);
    assert.match(res.stderr, /swarmage enqueue: task \d+ \(boom\) failed after 2 attempt\(s\): asked to throw \(attempt 2\)\n/);
    // The worker's stack, as recorded.
    assert.match(res.stderr, /at Object\.work \(.*faulty\.js/);
    assert.doesNotMatch(res.stderr, /within 120000 ms/);
  });

  it('a type no live drone serves: the wait says so at once, and so does the timeout', async () => {
    const res = await enqueue('nobody-here', '1', '--wait', '--timeout', '3');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /waiting: no live drone serves "nobody-here"/);
    assert.match(res.stderr, /no answer for 1 of 1 nobody-here task\(s\) \(ids \d+\) within 3000 ms: no live drone serves "nobody-here"/);
  });

  it('a task scheduled for later: the wait names when it runs', async () => {
    const res = await enqueue('echo', '1', '--delay', '600000', '--wait', '--timeout', '3');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /waiting: task \d+ is scheduled for \d{4}-\d\d-\d\dT/);
    assert.match(res.stderr, /within 3000 ms: task \d+ is scheduled for/);
  });

  it('a served task answers as before, with nothing said while it runs', async () => {
    const res = await enqueue('echo', '{"x":1}', '--wait');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '{"x":1}\n');
    assert.doesNotMatch(res.stderr, /waiting:|DeprecationWarning/);
  });
});

describe('swarmage enqueue: data from standard input and from a file', () => {
  let url: string;
  let config: string;
  let schema: string;
  before(async () => {
    url = await testDatabaseUrl();
    schema = freshSchema();
    config = path.join(tmpDir(), 'swarmage.config.json');
    fs.writeFileSync(config, JSON.stringify({ queue: { config: { schema } }, workers: {} }));
  });

  async function dataOf(id: string): Promise<unknown> {
    const c = await sqlClient(url);
    try {
      return (await c.query(`SELECT data FROM ${schema}.tasks WHERE id = $1`, [id])).rows[0]?.data;
    } finally {
      await c.end();
    }
  }

  it('@FILE: a payload larger than a command line', async () => {
    const big = { items: Array.from({ length: 20_000 }, (_, i) => ({ i, name: `item ${i}` })) };
    const file = path.join(tmpDir(), 'task.json');
    fs.writeFileSync(file, '\uFEFF' + JSON.stringify(big));
    const res = await runCli(['enqueue', 'x', `@${file}`, '--config', config], { env: { SWARMAGE_DATABASE_URL: url } });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(await dataOf(res.stdout.trim()), big);
  });

  it('- reads standard input', async () => {
    const res = await runCli(['enqueue', 'x', '-', '--config', config], { env: { SWARMAGE_DATABASE_URL: url }, input: '{"from": "stdin", "n": [1, 2]}\n' });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(await dataOf(res.stdout.trim()), { from: 'stdin', n: [1, 2] });
  });

  it('a bad file or bad JSON in it: one line naming the file and the place', async () => {
    const missing = await runCli(['enqueue', 'x', '@/nonexistent/task.json', '--config', config], { env: { SWARMAGE_DATABASE_URL: url } });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the data file \/nonexistent\/task\.json: ENOENT/);
    const file = path.join(tmpDir(), 'bad.json');
    fs.writeFileSync(file, '{\n  "a": 1,\n  "b": \n}');
    const bad = await runCli(['enqueue', 'x', `@${file}`, '--config', config], { env: { SWARMAGE_DATABASE_URL: url } });
    assert.equal(bad.code, 2);
    assert.ok(bad.stderr.includes(`the data file ${file} is not valid JSON: expected a value at line 4, column 1`), bad.stderr);
  });

  it('--delay takes a duration (30s, 5m, 1.5h; a bare number is ms) and the task waits that long', async () => {
    const before = Date.now();
    const res = await runCli(['enqueue', 'x', '1', '--delay', '5m', '--config', config], { env: { SWARMAGE_DATABASE_URL: url } });
    assert.equal(res.code, 0, res.stderr);
    const c = await sqlClient(url);
    try {
      const at = Number((await c.query(`SELECT extract(epoch FROM run_at) * 1000 AS at FROM ${schema}.tasks WHERE id = $1`, [res.stdout.trim()])).rows[0].at);
      assert.ok(Math.abs(at - (before + 300_000)) < 5000, `run_at ${new Date(at).toISOString()}`);
    } finally {
      await c.end();
    }
    const bad = await runCli(['enqueue', 'x', '1', '--delay', '5 minutes', '--config', config], { env: { SWARMAGE_DATABASE_URL: url } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--delay must be a duration such as 30s, 5m, 1\.5h or 2d \(a bare number is milliseconds\) of at most 366 days, got "5 minutes"/);
    const help = await runCli(['enqueue', '--help']);
    assert.match(help.stdout, /--delay DURATION {4}do not run before DURATION from now: 30s, 5m/);
  });
});
