import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { runCli } from '../helpers/drone.js';
import { BIN, FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';
import { testDatabaseUrl, freshSchema } from '../helpers/db.js';

describe('the swarmage CLI', () => {
  it('init → drone on the embedded Postgres → enqueue factorial 5 --wait prints "78" → status', async () => {
    const home = tmpDir('swarmage-home-');
    fs.chmodSync(home, 0o755); // as root, Postgres runs as "postgres", which must be able to enter it
    const work = tmpDir();
    // Our own embedded server: its own data directory and port, as a fresh machine would have.
    const env = { SWARMAGE_HOME: home, SWARMAGE_DATABASE_URL: undefined, SWARMAGE_REQUIRE_DATABASE_URL: undefined };
    const init = await runCli(['init', 'demo'], { cwd: work, env });
    assert.equal(init.code, 0, init.stderr);
    const demo = path.join(work, 'demo');
    const configFile = path.join(demo, 'swarmage.config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    config.queue.config.embedded = { port: 55000 + (process.pid % 4000) };
    fs.writeFileSync(configFile, JSON.stringify(config));

    const drone = spawn(process.execPath, [BIN, 'drone'], { cwd: demo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    drone.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => drone.on('exit', (code) => r(code)));
    try {
      await waitFor('the drone to run', () => /drone \S+ running/.test(log), 60_000);
      // Said once, as a warning, with where the data is and how to forbid it.
      const notice = (text: string) => text.split('\n').filter((l) => l.includes(`using the embedded Postgres at ${path.join(home, 'postgres')} (`));
      assert.equal(notice(log).length, 1, log);
      assert.match(notice(log)[0], /^\[warn:\d+\] .*Set SWARMAGE_REQUIRE_DATABASE_URL=1 to forbid this\.$/);
      const res = await runCli(['enqueue', 'factorial', '5', '--wait'], { cwd: demo, env });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, '"78"\n');
      assert.equal(notice(res.stderr).length, 1, res.stderr);

      const ids = await runCli(['enqueue', 'nobody-serves', '{"a":1}', '--count', '3'], { cwd: demo, env });
      assert.equal(ids.code, 0, ids.stderr);
      assert.equal(ids.stdout.trim().split('\n').length, 3);
      assert.ok(
        ids.stdout
          .trim()
          .split('\n')
          .every((l) => /^\d+$/.test(l)),
      );

      const status = await runCli(['status'], { cwd: demo, env });
      assert.equal(status.code, 0, status.stderr);
      // Its output is what was asked for: no warnings from the libraries underneath, only the line saying the database is the embedded one.
      assert.deepEqual(status.stderr.trimEnd().split('\n'), notice(status.stderr));
      assert.equal(notice(status.stderr).length, 1);
      assert.match(status.stdout, /^Database: embedded \(this machine's embedded Postgres: data .*, port \d+\)\n/);
      assert.match(status.stdout, /nobody-serves\s+3\s+0\s+0\s+0/);
      // Its wake-up mode, from the drones table: a direct connection, so notifications arrive.
      assert.match(status.stdout, /factorial,hexadecimal\s+notify\s/);
      const json = JSON.parse((await runCli(['status', '--json'], { cwd: demo, env })).stdout);
      assert.equal(json.drones.filter((d: { state: string }) => d.state === 'alive').length, 1);
      assert.deepEqual(
        json.types.filter((t: { unserved: boolean }) => t.unserved).map((t: { type: string }) => t.type),
        ['nobody-serves'],
      );
      assert.match(status.stdout, /nobody-serves .*UNSERVED/);
    } finally {
      drone.kill('SIGINT');
      assert.equal(await exited, 0, log);
      assert.match(log, /stopped/);
      await runCli(['db', 'stop', '--config', configFile], { cwd: demo, env });
    }
  });

  describe('bad input: one clear line, a non-zero status, nothing started', () => {
    let url: string;
    before(async () => {
      url = await testDatabaseUrl();
    });

    function configIn(dir: string, config: unknown): string {
      const file = path.join(dir, 'swarmage.config.json');
      fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
      return file;
    }

    it('a config with wrong types names each field', async () => {
      const dir = tmpDir();
      const file = configIn(dir, { workers: { echo: { module: path.join(FIXTURES, 'workers/echo.js'), timeoutMs: 'soon' } }, maxPerWorker: -1 });
      const res = await runCli(['drone', '--config', file], { env: { SWARMAGE_DATABASE_URL: url } });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /workers\.echo\.timeoutMs: .*expected number/i);
      assert.match(res.stderr, /maxPerWorker: .*>=1/i);
      assert.ok(res.stderr.includes(file));
    });

    it('invalid JSON in the config says where', async () => {
      const file = configIn(tmpDir(), '{ "workers": { ,} }');
      const res = await runCli(['drone', '--config', file], { env: { SWARMAGE_DATABASE_URL: url } });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /invalid JSON at line 1, column 16: expected a value/);
    });

    it('a missing worker module is named with its path', async () => {
      const file = configIn(tmpDir(), { workers: { gone: { module: './nowhere.js' } } });
      const res = await runCli(['drone', '--config', file], { env: { SWARMAGE_DATABASE_URL: url } });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /workers\.gone\.module: no such file ".*nowhere\.js"/);
    });

    it('a module without work() stops the drone before it claims anything', async () => {
      const schema = freshSchema();
      const file = configIn(tmpDir(), { queue: { config: { schema } }, workers: { x: { module: path.join(FIXTURES, 'workers/no-work.js') } } });
      const res = await runCli(['drone', '--config', file], { env: { SWARMAGE_DATABASE_URL: url } });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /workers\.x\.module: .*must be an object with a work\(task, ctx\) function/);
    });

    it('a module that never finishes loading stops the drone after timeoutMs (at least 10 s), naming it', async () => {
      const schema = freshSchema();
      const file = configIn(tmpDir(), {
        queue: { config: { schema } },
        workers: { slowpoke: { module: path.join(FIXTURES, 'workers/never-loads.js'), timeoutMs: 1500 } },
      });
      const res = await runCli(['drone', '--config', file], { env: { SWARMAGE_DATABASE_URL: url } });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /workers\.slowpoke\.module: did not finish loading within 10000 ms \(timeoutMs of workers\.slowpoke, at least 10000 ms\)/);
    });

    it('invalid JSON data for enqueue', async () => {
      const res = await runCli(['enqueue', 'factorial', '{oops'], { env: { SWARMAGE_DATABASE_URL: url }, cwd: tmpDir() });
      assert.equal(res.code, 2);
      assert.match(res.stderr, /the data argument is not valid JSON/);
      assert.equal(res.stderr.trim().split('\n').length, 1);
    });

    it('unknown commands and options', async () => {
      const a = await runCli(['frobnicate']);
      assert.equal(a.code, 2);
      assert.match(a.stderr, /unknown command "frobnicate"/);
      const b = await runCli(['enqueue', 'x', '--cuont', '3']);
      assert.equal(b.code, 2);
      assert.match(b.stderr, /--cuont/);
    });

    it('--help for every command', async () => {
      for (const cmd of ['init', 'drone', 'enqueue', 'status', 'migrate', 'db', 'schema']) {
        const res = await runCli([cmd, '--help']);
        assert.equal(res.code, 0);
        assert.match(res.stdout, new RegExp(`^Usage: swarmage ${cmd}`));
      }
      assert.match((await runCli(['--help'])).stdout, /Quick start/);
    });
  });
});
