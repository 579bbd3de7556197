/**
 * `npm start` where Electron cannot run (as here): the launcher says so in one line and serves the
 * same UI and API headless, on the same config the window would use. Real processes, real Postgres.
 * SWARMAGE_HEADLESS=1 so that a machine that does have Electron runs this test the same way.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { ProfileInfo, ProfilesView, Snapshot } from '../../core/api/contract.js';
import { freePort } from '../helpers/ports.js';
import { freshSchema, testDatabaseUrl } from '../helpers/db.js';
import { ApiSocket, bearer } from '../helpers/service.js';
import { tmpDir, waitFor } from '../helpers/tmp.js';
import { demoDroneDir } from '../helpers/demo.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const LAUNCHER = path.join(ROOT, 'dist', 'electron', 'launch.js');

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

interface Launched {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function launch(args: string[], opts: { cwd: string; home: string; env?: Record<string, string> }): Promise<Launched> {
  const port = await freePort();
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, SWARMAGE_HEADLESS: '1', SWARMAGE_HOME: opts.home, SWARMAGE_UI_PORT: String(port), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, port, stderr: () => err, exited };
}

/** The login URL the launcher printed, and its token. */
async function loginOf(app: Launched): Promise<{ loginUrl: string; token: string }> {
  const m = await waitFor('the login URL', () => /operator UI on (\S+)/.exec(app.stderr()), 20_000);
  return { loginUrl: m[1], token: new URL(m[1]).searchParams.get('token')! };
}

async function snapshotOf(s: ApiSocket, profile?: string): Promise<Snapshot> {
  const r = await s.call('drone.snapshot', {}, profile);
  assert.ok(r.ok, JSON.stringify(r));
  return (r as { result: Snapshot }).result;
}

describe('npm start without Electron (the launcher)', () => {
  it('says so in one line, serves the UI and the API, runs the drone on the config given, and stops on SIGINT', async () => {
    const url = await testDatabaseUrl();
    const { dir, file } = demoDroneDir(url, freshSchema(), 'drone.json');

    const home = tmpDir();
    const app = await launch(['drone.json'], { cwd: dir, home, env: { SWARMAGE_DATABASE_URL: '', XDG_RUNTIME_DIR: '' } });
    let socket: ApiSocket | null = null;
    try {
      await waitFor('the one line', () => app.stderr().includes('\n'), 20_000);
      assert.equal(
        app.stderr().split('\n')[0],
        `swarmage: the Electron binary is not available on this machine (SWARMAGE_HEADLESS is set); serving the same UI at http://127.0.0.1:${app.port} instead`,
      );
      const { loginUrl, token } = await loginOf(app);
      assert.equal(loginUrl, `http://127.0.0.1:${app.port}/?token=${token}`);
      // The same token as "swarmage drone --ui", in the same kind of file for "swarmage ui".
      const infoFile = path.join(home, 'run', `ui-${app.child.pid}-${app.port}.json`);
      assert.deepEqual(JSON.parse(fs.readFileSync(infoFile, 'utf8')).loginUrl, loginUrl);
      assert.equal(fs.statSync(infoFile).mode & 0o777, 0o600);
      assert.equal((await get(`http://127.0.0.1:${app.port}/`)).status, 401, 'not without the token, on loopback too');
      assert.equal(await ApiSocket.closedWith(`ws://127.0.0.1:${app.port}/api`), 4401);
      socket = await ApiSocket.open(`ws://127.0.0.1:${app.port}/api`, bearer(token));
      const running = await waitFor(
        'the drone to run',
        async () => {
          const s = await snapshotOf(socket!);
          return s.app.state === 'running' ? s : null;
        },
        60_000,
      );
      assert.equal(running.app.configFile, file);

      const r = await socket.call('tasks.request', { type: 'factorial', data: 5 });
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal((r as { result: { result: unknown } }).result.result, '78');

      const page = await get(`http://127.0.0.1:${app.port}/`, bearer(token));
      if (fs.existsSync(path.join(ROOT, 'dist', 'ui', 'index.html'))) {
        assert.equal(page.status, 200);
        assert.match(page.body, /<title>Swarmage<\/title>/);
      }
    } finally {
      socket?.close();
      app.child.kill('SIGINT');
    }
    assert.equal(await app.exited, 0, app.stderr());
    assert.match(app.stderr(), /SIGINT: stopping/);
    assert.deepEqual(fs.readdirSync(path.join(home, 'run')), [], 'its server file is gone with it');
  });

  it('with no config at hand, starts with no drone (the first-run screen); "try the demo" writes it to the app folder and keeps the UI up when it cannot start', async () => {
    const home = tmpDir();
    const closed = await freePort(); // nothing listens there: the database is unreachable
    const app = await launch([], { cwd: tmpDir(), home, env: { SWARMAGE_DATABASE_URL: `postgres://nobody:x@127.0.0.1:${closed}/none` } });
    let socket: ApiSocket | null = null;
    try {
      socket = await ApiSocket.open(`ws://127.0.0.1:${app.port}/api`, bearer((await loginOf(app)).token));
      const listed = await socket.call('profiles.list', {});
      assert.ok(listed.ok && (listed.result as ProfilesView).profiles.length === 0, JSON.stringify(listed));
      assert.match(app.stderr(), /no drone yet: the UI offers to open a config, attach to a drone or try the demo/);
      assert.ok(!fs.existsSync(path.join(home, 'app', 'swarmage.config.json')), 'nothing written before the user asks');

      const demo = await socket.call('profiles.demo', {});
      assert.ok(demo.ok, JSON.stringify(demo));
      const profile = (demo.result as ProfileInfo).id;
      const s = await snapshotOf(socket, profile);
      assert.equal(s.app.configFile, path.join(home, 'app', 'swarmage.config.json'));
      assert.ok(fs.existsSync(path.join(home, 'app', 'workers', 'factorial.js')));
      await waitFor('the database error to show', async () => (await snapshotOf(socket!, profile)).drone?.database.lastError, 20_000);
    } finally {
      socket?.close();
      app.child.kill('SIGINT');
    }
    assert.equal(await app.exited, 0, app.stderr());
  });
});
