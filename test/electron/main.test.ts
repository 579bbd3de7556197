/**
 * The real main process (dist/electron/main.js) with only the Electron binary faked: the 'electron'
 * module is a recorder (fake-electron/), everything else is real — DroneService on a real Postgres,
 * worker processes, the IPC handler, the guards. It plays a short session and quits.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freshSchema, testDatabaseUrl } from '../helpers/db.js';
import { tmpDir, waitFor } from '../helpers/tmp.js';
import { demoDroneDir } from '../helpers/demo.js';
import { APP_INDEX_URL, RENDERER_INDEX, WEB_PREFERENCES } from '../../electron/window.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MAIN = path.join(ROOT, 'dist', 'electron', 'main.js');
const REGISTER = path.join(import.meta.dirname, 'fake-electron', 'register.js');

const LAUNCHER = path.join(ROOT, 'dist', 'electron', 'launch.js');

/** A drone config on the test Postgres (fresh schema) in a temp dir. */
async function droneDir(): Promise<{ dir: string; file: string; reportFile: string }> {
  const url = await testDatabaseUrl();
  const { dir, file } = demoDroneDir(url, freshSchema(), 'app.json');
  return { dir, file, reportFile: path.join(dir, 'report.json') };
}

function collect(child: ChildProcess): { stderr: () => string; exited: Promise<number | null> } {
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  return { stderr: () => err, exited: new Promise((r) => child.on('exit', (c) => r(c))) };
}

describe('the main process (fake electron module, everything else real)', () => {
  it('wires lock, guards, permissions, IPC and window; runs the drone; stops it gracefully on quit', async () => {
    const { dir, file, reportFile } = await droneDir();
    const child = spawn(process.execPath, ['--import', REGISTER, MAIN, 'app.json'], {
      cwd: dir,
      env: { ...process.env, FAKE_ELECTRON_REPORT: reportFile, SWARMAGE_HOME: tmpDir(), SWARMAGE_DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = collect(child);
    const code = await out.exited;
    const stderr = out.stderr();
    assert.ok(fs.existsSync(reportFile), `no report; exit ${code}\n${stderr}`);
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    assert.equal(report.error, undefined, report.error);
    assert.equal(code, 0, stderr);

    // Lifecycle: sandbox for all, single instance, one API handler, removed after the drone stopped.
    const calls: string[] = report.calls;
    assert.deepEqual(calls.slice(0, 3), ['app.enableSandbox', 'protocol.registerSchemesAsPrivileged', 'app.requestSingleInstanceLock']);
    assert.deepEqual(
      calls.filter((c) => c.startsWith('ipcMain.')),
      ['ipcMain.handle(swarmage:invoke)', 'ipcMain.removeHandler(swarmage:invoke)'],
    );
    assert.match(stderr, /quitting: stopping the drones gracefully/);
    assert.match(stderr, /drone \S+ stopped/);

    // The window: locked-down preferences, the local index only.
    assert.deepEqual(report.window.options.webPreferences, { ...WEB_PREFERENCES });
    assert.deepEqual(report.window.loads, [['loadURL', APP_INDEX_URL]]);
    // Our scheme: privileged before 'ready', served only from the built renderer.
    assert.deepEqual(report.schemes, [
      {
        scheme: 'swarmage',
        privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, bypassCSP: false, allowServiceWorkers: false, stream: true },
      },
    ]);
    assert.equal(report.served.index.status, 200);
    assert.equal(report.served.index.file, RENDERER_INDEX);
    assert.match(report.served.index.csp, /default-src 'self'/);
    assert.deepEqual([report.served.climb.status, report.served.otherHost.status, report.served.post.status], [404, 404, 405]);

    // Guards, as installed by main.ts through web-contents-created and the default session.
    assert.deepEqual(report.navigation, { index: 'allowed', https: 'blocked', http: 'blocked', file: 'blocked', fileIndex: 'blocked', javascript: 'blocked' });
    assert.deepEqual(report.windowOpen, [{ action: 'deny' }, { action: 'deny' }]);
    assert.equal(report.webviewBlocked, true);
    assert.deepEqual(report.permission, { request: false, check: false });
    assert.deepEqual(report.requestFilter.urls.sort(), ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']);
    assert.deepEqual(report.openedExternally, ['https://example.com/docs', 'https://example.com/new']);

    // The API over IPC: the drone ran on the config given on the command line.
    assert.deepEqual(report.snapshot, { state: 'running', configFile: file });
    assert.equal(report.request.ok, true, JSON.stringify(report.request));
    assert.equal(report.request.result.result, '78');
    assert.equal(report.untrusted.error.code, 'unauthorized');
    assert.equal(report.subframe.error.code, 'unauthorized');
    assert.equal(report.invalid.error.code, 'invalid_args');
    assert.ok(report.invalid.error.issues.some((i: { path: string }) => i.path === 'type'));
    assert.deepEqual(report.eventChannels, ['swarmage:event']);
    assert.match(stderr, /refused an API call from https:\/\/evil\.example\//);
    assert.equal(APP_INDEX_URL, 'swarmage://app/index.html');
  });

  it(
    'npm start with an Electron binary: the launcher runs it on main.js, and one Ctrl-C stops the drone gracefully',
    { skip: process.platform === 'win32' ? 'the stand-in binary is a shell script' : false },
    async () => {
      const { dir, file, reportFile } = await droneDir();
      // The stand-in "Electron binary": Node running main.js on the fake 'electron' module.
      const dist = tmpDir();
      fs.writeFileSync(path.join(dist, 'electron'), `#!/bin/sh\nexec "${process.execPath}" --import "${REGISTER}" "$@"\n`, { mode: 0o755 });
      const child = spawn(process.execPath, [LAUNCHER, 'app.json'], {
        cwd: dir,
        env: {
          ...process.env,
          ELECTRON_OVERRIDE_DIST_PATH: dist,
          SWARMAGE_HEADLESS: '',
          FAKE_ELECTRON_REPORT: reportFile,
          FAKE_ELECTRON_STAY: '1',
          SWARMAGE_HOME: tmpDir(),
          SWARMAGE_DATABASE_URL: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, like a shell job: the "terminal" below signals all of it
      });
      const out = collect(child);
      try {
        await waitFor('the session to be played', () => fs.existsSync(reportFile) && JSON.parse(fs.readFileSync(reportFile, 'utf8')).played, 60_000);
      } catch (err) {
        child.kill('SIGKILL');
        throw new Error(`${(err as Error).message}\n${out.stderr()}`);
      }
      const played = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
      assert.deepEqual(played.snapshot, { state: 'running', configFile: file });
      assert.doesNotMatch(out.stderr(), /not available/);

      process.kill(-child.pid!, 'SIGINT'); // Ctrl-C: the terminal signals the whole foreground process group
      assert.equal(await out.exited, 0, out.stderr());
      const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
      assert.ok(report.calls.includes('app.quit'));
      assert.ok(!report.calls.some((c: string) => c.startsWith('app.exit')), `exited at once instead of gracefully: ${report.calls.join(', ')}`);
      assert.match(out.stderr(), /quitting: stopping the drones gracefully/);
      assert.match(out.stderr(), /drone \S+ stopped/);
    },
  );
});
