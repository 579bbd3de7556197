/**
 * Several drones in one app (core/app): real DroneServices on a real Postgres with real worker
 * processes, the profile list in a real file, and an attached drone reached over a real UI host.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ProfileManager } from '../../core/app/profileManager.js';
import { ProfileStore } from '../../core/app/profileStore.js';
import type { MethodName, ProfileInfo, ProfilesView, Result, Snapshot } from '../../core/api/contract.js';
import { startHost, type RunningHost } from '../../core/host/server.js';
import { Logger } from '../../core/log/logger.js';
import { DroneService } from '../../core/service/droneService.js';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { demoDroneDir } from '../helpers/demo.js';
import { FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';

const quiet = () => new Logger('error', []);

function manager(appDir: string): ProfileManager {
  return new ProfileManager({
    log: quiet(),
    store: new ProfileStore(appDir),
    createLocal: (configFile) => new DroneService({ configFile, logToStderr: Boolean(process.env.TEST_LOG) }),
    demoDir: appDir,
  });
}

async function call<M extends MethodName>(m: ProfileManager, method: M, args: unknown, profile?: string): Promise<Result<M>> {
  const out = await m.dispatch(method, args, profile);
  if (!out.ok) throw new Error(`${method}: ${out.error.message}`);
  return out.result as Result<M>;
}

async function failure(m: ProfileManager, method: MethodName, args: unknown, profile?: string): Promise<string> {
  const out = await m.dispatch(method, args, profile);
  assert.equal(out.ok, false, `${method} should have failed`);
  return out.ok ? '' : out.error.message;
}

const stateOf = async (m: ProfileManager, id: string) => (await call(m, 'profiles.list', {})).profiles.find((p) => p.id === id)?.state;

describe('profiles: several drones in one app', () => {
  let url: string;
  let schema: string;
  let demo: string;
  let echo: string;
  before(async () => {
    url = await testDatabaseUrl();
    schema = freshSchema();
    demo = demoDroneDir(url, schema, 'swarmage.config.json').file;
    // Another project, serving another type, on the same global queue.
    echo = demoDroneDir(url, schema, 'swarmage.config.json', { extra: { workers: { echo: { module: path.join(FIXTURES, 'workers', 'echo.js') } } } }).file;
  });

  it('runs two drones at once, each call and event going to the drone it names; stopping one leaves the other working', async () => {
    const appDir = tmpDir();
    const m = manager(appDir);
    m.load();
    const events: Array<{ event: string; profile?: string }> = [];
    m.on('event', (e) => events.push({ event: e.event, profile: e.profile }));
    try {
      const a = await call(m, 'profiles.add', { configFile: demo });
      const b = await call(m, 'profiles.add', { configFile: echo });
      assert.notEqual(a.id, b.id);
      assert.notEqual(a.name, b.name, 'names are made unique');
      await waitFor('both running', async () => (await stateOf(m, a.id)) === 'running' && (await stateOf(m, b.id)) === 'running');

      const sa = await call(m, 'drone.snapshot', {}, a.id);
      const sb = await call(m, 'drone.snapshot', {}, b.id);
      assert.deepEqual(sa.drone!.types.map((t) => t.type).sort(), ['factorial', 'hexadecimal']);
      assert.deepEqual(
        sb.drone!.types.map((t) => t.type),
        ['echo'],
      );
      assert.notEqual(sa.drone!.id, sb.drone!.id);
      assert.deepEqual((await call(m, 'config.get', {}, b.id)).file, echo);

      // Each answers its own work; a call without a profile goes to the first.
      const hex = await call(m, 'tasks.request', { type: 'factorial', data: 5 }, a.id);
      assert.equal(hex.result, '78');
      const echoed = await call(m, 'tasks.request', { type: 'echo', data: { hi: 1 } }, b.id);
      assert.deepEqual(echoed.result, { hi: 1 });
      assert.equal((await call(m, 'drone.snapshot', {})).drone!.id, sa.drone!.id);
      assert.match(await failure(m, 'drone.snapshot', {}, 'l-nope'), /no profile "l-nope"/);

      await waitFor('events stamped with both profiles', () => events.some((e) => e.profile === a.id) && events.some((e) => e.profile === b.id));
      assert.ok(
        events.some((e) => e.event === 'profiles' && e.profile === undefined),
        'the list itself belongs to no drone',
      );

      // Stop a: b keeps draining work of its own.
      await call(m, 'profiles.stop', { id: a.id });
      assert.equal(await stateOf(m, a.id), 'stopped');
      assert.equal((await call(m, 'drone.snapshot', {}, a.id)).drone, null);
      assert.match(await failure(m, 'tasks.enqueue', { type: 'factorial', data: 3 }, a.id), /not running/);
      const db = await sqlClient(url);
      try {
        const { ids } = await call(m, 'tasks.enqueue', { type: 'echo', data: 1, count: 50 }, b.id);
        await waitFor('b to drain its 50', async () => {
          const r = await db.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE id = ANY($1::bigint[])`, [ids]);
          return r.rows[0].n === 0;
        });
      } finally {
        await db.end();
      }
      assert.equal(await stateOf(m, b.id), 'running');

      // The config of a stopped drone can still be read and checked (and fixed) in the UI.
      assert.equal((await call(m, 'config.get', {}, a.id)).file, demo);
      assert.equal((await call(m, 'config.check', { text: '{' }, a.id)).ok, false);

      // Restart: the same service runs again, its heartbeat (snapshots) and all.
      await call(m, 'profiles.start', { id: a.id });
      await waitFor('a running again', async () => (await stateOf(m, a.id)) === 'running');
      assert.equal((await call(m, 'tasks.request', { type: 'factorial', data: 4 }, a.id)).result, '18');
      const before = events.filter((e) => e.event === 'snapshot' && e.profile === a.id).length;
      await waitFor(
        'a periodic snapshot after the restart',
        () => events.filter((e) => e.event === 'snapshot' && e.profile === a.id).length > before + 1,
        5000,
      );

      // The list on disk: both profiles, running, and the recent files; private.
      const saved = JSON.parse(fs.readFileSync(path.join(appDir, 'profiles.json'), 'utf8'));
      assert.deepEqual(
        saved.profiles.map((p: { configFile: string; run: boolean }) => [p.configFile, p.run]),
        [
          [demo, true],
          [echo, true],
        ],
      );
      assert.deepEqual(saved.recent, [echo, demo]);
      if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(appDir, 'profiles.json')).mode & 0o777, 0o600);
    } finally {
      await m.stopAll();
    }
  });

  it('which profiles were running survives a restart of the app; a user-stopped one stays stopped', async () => {
    const appDir = tmpDir();
    const first = manager(appDir);
    first.load();
    let a: ProfileInfo;
    let b: ProfileInfo;
    try {
      a = await call(first, 'profiles.add', { configFile: demo });
      b = await call(first, 'profiles.add', { configFile: echo });
      await call(first, 'profiles.stop', { id: b.id });
    } finally {
      await first.stopAll(); // quitting the app: what ran is remembered as running
    }
    const second = manager(appDir);
    const saved = second.load();
    assert.equal(saved.profiles.length, 2);
    try {
      await second.startSaved();
      await waitFor('a started again', async () => (await stateOf(second, a.id)) === 'running');
      assert.equal(await stateOf(second, b.id), 'stopped');
      // Removing forgets it (files stay); adding again gives the same id.
      await call(second, 'profiles.remove', { id: b.id });
      assert.deepEqual(
        (await call(second, 'profiles.list', {})).profiles.map((p) => p.id),
        [a.id],
      );
      assert.ok(fs.existsSync(echo));
      assert.equal((await call(second, 'profiles.add', { configFile: echo, start: false })).id, b.id);
    } finally {
      await second.stopAll();
    }
  });

  it('bad input is named: a missing file, an unreadable list (moved aside, never lost), a fixed host', async () => {
    const appDir = tmpDir();
    const m = manager(appDir);
    m.load();
    assert.match(await failure(m, 'profiles.add', { configFile: path.join(appDir, 'nope.json') }), /nope\.json: no such file/);
    assert.match(await failure(m, 'profiles.add', { configFile: '' }), /configFile/);
    assert.match(await failure(m, 'profiles.start', { id: 'NOT AN ID' }), /id: a profile id/);
    assert.match(await failure(m, 'profiles.pick', {}), /no file picker/);
    assert.match(await failure(m, 'drone.snapshot', {}), /no drone yet/);

    fs.writeFileSync(path.join(appDir, 'profiles.json'), '{"version":1,"profiles":[{"id":"x"}],"recent":[]}');
    const problems: string[] = [];
    const m2 = new ProfileManager({
      log: new Logger('warn', [{ write: (l) => problems.push(l.msg) }]),
      store: new ProfileStore(appDir),
      createLocal: () => {
        throw new Error('none');
      },
    });
    assert.equal(m2.load().profiles.length, 0);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /profiles\.json is not valid \(profiles\[0\]/);
    assert.match(problems[0], /moved to .*profiles\.json\.unreadable-/);
    assert.equal(fs.readdirSync(appDir).filter((f) => f.startsWith('profiles.json.unreadable-')).length, 1);

    const fixed = new ProfileManager({ log: quiet(), store: null, createLocal: () => assert.fail('not called') });
    assert.match(await failure(fixed, 'profiles.demo', {}), /profiles are managed in the desktop app/);
    assert.equal((await call(fixed, 'profiles.list', {})).editable, false);
  });

  it('"try the demo" writes the demo into the app folder once and runs it', async () => {
    const appDir = tmpDir();
    const m = manager(appDir);
    m.load();
    try {
      // The demo's config has no database: point it at the test one, as SWARMAGE_DATABASE_URL would.
      process.env.SWARMAGE_DATABASE_URL = url;
      const d = await call(m, 'profiles.demo', {});
      assert.equal(d.configFile, path.join(appDir, 'swarmage.config.json'));
      assert.equal(d.name, 'demo');
      assert.ok(fs.existsSync(path.join(appDir, 'workers', 'factorial.js')));
      await waitFor('the demo running', async () => (await stateOf(m, d.id)) === 'running', 30_000);
      assert.equal((await call(m, 'profiles.demo', {})).id, d.id, 'a second click shows the same demo');
    } finally {
      delete process.env.SWARMAGE_DATABASE_URL;
      await m.stopAll();
    }
  });

  describe('attached to a drone that runs elsewhere', () => {
    let remote: DroneService;
    let host: RunningHost;
    let remoteFile: string;
    before(async () => {
      remoteFile = demoDroneDir(url, schema, 'remote.json').file;
      remote = new DroneService({ configFile: remoteFile, logToStderr: Boolean(process.env.TEST_LOG) });
      await remote.start();
      host = await startHost(ProfileManager.fixed(remoteFile, remote, quiet()), { host: '127.0.0.1', port: 0, serverInfo: false, staticDir: tmpDir() });
    });
    after(async () => {
      await host?.close();
      await remote?.stop();
    });

    it('operates it like a local one: snapshot, calls, events; a wrong token is named', async () => {
      const m = manager(tmpDir());
      m.load();
      const snaps: Snapshot[] = [];
      try {
        const p = await call(m, 'profiles.add', { attach: { url: host.url, token: host.token } });
        m.on('event', (e) => e.event === 'snapshot' && e.profile === p.id && snaps.push(e.data as Snapshot));
        assert.equal(p.kind, 'attached');
        await waitFor('attached', async () => (await stateOf(m, p.id)) === 'running');
        const s = await call(m, 'drone.snapshot', {}, p.id);
        assert.equal(s.app.configFile, remoteFile);
        assert.equal(s.drone!.id, remote.snapshot().drone!.id);
        assert.equal((await call(m, 'tasks.request', { type: 'factorial', data: 5 }, p.id)).result, '78');
        assert.equal((await call(m, 'config.get', {}, p.id)).file, remoteFile);
        await waitFor('the remote drone\u2019s snapshots relayed', () => snaps.some((x) => x.drone?.id === s.drone!.id));
        const listed: ProfilesView = await call(m, 'profiles.list', {});
        assert.equal(listed.profiles[0].url, new URL(host.url).origin);
        assert.match(await failure(m, 'profiles.add', { attach: { url: host.url, token: host.token } }), /already attached/);

        // Disconnecting leaves the remote drone running.
        await call(m, 'profiles.stop', { id: p.id });
        assert.equal(await stateOf(m, p.id), 'stopped');
        assert.equal(remote.snapshot().app.state, 'running');
      } finally {
        await m.stopAll();
      }

      const wrong = manager(tmpDir());
      wrong.load();
      try {
        const p = await call(wrong, 'profiles.add', { attach: { url: host.url, token: 'x'.repeat(32) } });
        await waitFor('the refusal', async () => (await call(wrong, 'profiles.list', {})).profiles[0].error);
        const info = (await call(wrong, 'profiles.list', {})).profiles.find((x) => x.id === p.id)!;
        assert.equal(info.state, 'error');
        assert.match(info.error!, /refused the token/);
        assert.match(await failure(wrong, 'tasks.enqueue', { type: 'factorial' }, p.id), /not connected .*refused the token/);
      } finally {
        await wrong.stopAll();
      }
    });
  });
});
