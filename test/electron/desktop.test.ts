/**
 * The desktop integration (tray, notifications, application menu, the window's remembered state,
 * close to tray) through the real main process (dist/electron/main.js) with only Electron faked, as
 * in main.test.ts: real drones on the test Postgres, two profiles. The test drives the fake's remote
 * scenario (fake-electron/remote.ts) as a user would: clicks in the tray, on a notification, closes
 * and moves the window, quits.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { demoDroneDir } from '../helpers/demo.js';
import { FIXTURES, sleep, tmpDir, waitFor } from '../helpers/tmp.js';
import type { ProfileInfo, ProfilesView } from '../../core/api/contract.js';
import type { MenuItemView, RemoteCommand, RemoteState } from './fake-electron/remote.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MAIN = path.join(ROOT, 'dist', 'electron', 'main.js');
const REGISTER = path.join(import.meta.dirname, 'fake-electron', 'register.js');
const QUIT = 'Quit Swarmage';
const CLOSE_TO_TRAY = 'Keep Drones Running When the Window Closes';

type Answer = { ok: true; result: unknown } | { ok: false; error: string };

/** The main process on the fake Electron, driven command by command. */
class App {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (a: Answer) => void>();
  private nextId = 1;
  private err = '';
  readonly exited: Promise<number | null>;
  readonly reportFile: string;

  constructor(opts: { home: string; cwd: string; args?: string[]; displays?: unknown }) {
    this.reportFile = path.join(tmpDir(), 'report.json');
    this.child = spawn(process.execPath, ['--import', REGISTER, MAIN, ...(opts.args ?? [])], {
      cwd: opts.cwd,
      env: {
        ...process.env,
        FAKE_ELECTRON_SCENARIO: 'remote',
        FAKE_ELECTRON_REPORT: this.reportFile,
        FAKE_ELECTRON_DISPLAYS: opts.displays ? JSON.stringify(opts.displays) : '',
        SWARMAGE_HOME: opts.home,
        SWARMAGE_DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (d) => (this.err += d));
    this.child.stdout!.resume();
    this.child.on('message', (m: { id: number } & Answer) => {
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        for (const answer of this.pending.values()) answer({ ok: false, error: `the app exited (${code})` });
        this.pending.clear();
        resolve(code);
      }),
    );
  }

  get stderr(): string {
    return this.err;
  }

  async send<T = unknown>(command: RemoteCommand): Promise<T> {
    const id = this.nextId++;
    const answer = await new Promise<Answer>((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, ...command });
    });
    if (!answer.ok) throw new Error(`${command.cmd}: ${answer.error}\n${this.err}`);
    return answer.result as T;
  }

  state(): Promise<RemoteState> {
    return this.send<RemoteState>({ cmd: 'state' });
  }

  /** An API call from the window's page; throws when it is answered with an error. */
  async call<T = unknown>(method: string, args: unknown, profile?: string): Promise<T> {
    const out = await this.send<{ ok: boolean; result?: T; error?: { message: string } }>({ cmd: 'invoke', method, args, profile });
    if (!out.ok) throw new Error(`${method}: ${out.error?.message}\n${this.err.slice(-3000)}`);
    return out.result as T;
  }

  /** Waits for the tray as `check` wants it; fails with what it last showed. */
  async trayUntil(what: string, check: (tray: NonNullable<RemoteState['tray']>) => boolean, timeoutMs = 60_000): Promise<NonNullable<RemoteState['tray']>> {
    let last: RemoteState['tray'] = null;
    try {
      return await waitFor(what, async () => ((last = (await this.state()).tray) && check(last) ? last : null), timeoutMs, 100);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the tray: ${JSON.stringify(last)}\n${this.err}`);
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  calls(): string[] {
    return JSON.parse(fs.readFileSync(this.reportFile, 'utf8')).calls;
  }
}

function item(menu: MenuItemView[], name: string): MenuItemView | undefined {
  return menu.find((i) => i.label === name || i.label?.startsWith(`${name} — `));
}

function profileState(menu: MenuItemView[], name: string): string | undefined {
  return item(menu, name)?.label?.slice(name.length + ' — '.length);
}

function enabledActions(menu: MenuItemView[], name: string): string[] {
  return (item(menu, name)?.submenu ?? []).filter((i) => i.enabled !== false).map((i) => i.label!);
}

const lastImage = (tray: NonNullable<RemoteState['tray']>) => path.basename(tray.images.at(-1)!);

describe('desktop integration (fake electron module, real drones)', () => {
  it('tray states and per-profile stop, failure notifications and their click, close to tray, and a quit that loses no task', async () => {
    const url = await testDatabaseUrl();
    const schemaA = freshSchema();
    const runs = path.join(tmpDir(), 'runs.txt');
    const good = demoDroneDir(url, schemaA, 'a.json', {
      extra: {
        workers: {
          factorial: { module: './workers/factorial.js' },
          hexadecimal: { module: './workers/hexadecimal.js' },
          slow: { module: path.join(FIXTURES, 'workers/record.js'), config: { file: runs, delayMs: 100 } },
        },
      },
    });
    const bad = demoDroneDir(url, freshSchema(), 'b.json', { extra: { workers: { faulty: { module: path.join(FIXTURES, 'workers/faulty.js') } } } });
    const app = new App({ home: tmpDir(), cwd: good.dir, args: [good.file, bad.file] });
    try {
      // a. Both running: the running icon, the counts, both profiles with Stop.
      const view = await waitFor(
        'both profiles running',
        async () => {
          const v = await app.call<ProfilesView>('profiles.list', {});
          return v.profiles.length === 2 && v.profiles.every((p) => p.state === 'running') ? v : null;
        },
        60_000,
      );
      const byFile = (f: string) => view.profiles.find((p) => p.configFile === f) as ProfileInfo;
      const [a, b] = [byFile(good.file), byFile(bad.file)];
      let tray = await app.trayUntil('both running', (t) => [a.name, b.name].every((n) => profileState(t.menu, n) === 'running'));
      assert.deepEqual([lastImage(tray), tray.tooltip], ['running.png', 'Swarmage: 2 running']);
      assert.ok(fs.existsSync(tray.images.at(-1)!.replace(/\.png$/, '@2x.png')), 'the high-DPI icon is next to it');
      assert.equal(tray.menu[0].label, 'Show Window');
      assert.deepEqual(
        [a.name, b.name].map((n) => [profileState(tray.menu, n), enabledActions(tray.menu, n)]),
        [
          ['running', ['Stop', 'Restart']],
          ['running', ['Stop', 'Restart']],
        ],
      );
      assert.deepEqual(item(tray.menu, CLOSE_TO_TRAY), { label: CLOSE_TO_TRAY, type: 'checkbox', checked: true });
      assert.equal(tray.menu.at(-1)!.label, QUIT);

      // The application menu: the standard roles and the app's commands.
      const menu = (await app.state()).appMenu!;
      assert.ok(menu.some((m) => m.role === 'editMenu') && menu.some((m) => m.role === 'windowMenu'));
      const file = menu.find((m) => m.label === 'File')!.submenu!;
      assert.deepEqual(file[0], { label: 'Open Config…', accelerator: 'CmdOrCtrl+O', enabled: true });
      assert.deepEqual(
        item(file, 'Open Recent')!
          .submenu!.map((m) => m.label)
          .sort(),
        [path.join(path.basename(bad.dir), 'b.json'), path.join(path.basename(good.dir), 'a.json')].sort(),
      );
      assert.ok(
        menu.find((m) => m.label === 'View')!.submenu!.some((m) => m.role === 'toggleDevTools'),
        'devtools in an unpackaged build',
      );

      // b. A failing task: one notification naming the profile and type; the icon turns failing.
      await app.call('tasks.enqueue', { type: 'faulty', data: { mode: 'throw' }, maxAttempts: 1 }, b.id);
      const notified = await waitFor(
        'a notification',
        async () => ((await app.state()).notifications.length > 0 ? (await app.state()).notifications : null),
        30_000,
      );
      assert.equal(notified[0].shown, true);
      assert.equal(notified[0].options.title, `${b.name}: tasks failing`);
      assert.match(String(notified[0].options.body), /^faulty: .*asked to throw/);
      tray = await app.trayUntil('failing', (t) => lastImage(t) === 'failing.png');
      assert.equal(tray.tooltip, 'Swarmage: 1 running, 1 failing');
      assert.equal(profileState(tray.menu, b.name), 'failing');

      // The same cause again within the limit: no second notification.
      await app.call('tasks.enqueue', { type: 'faulty', data: { mode: 'throw' }, maxAttempts: 1 }, b.id);
      await waitFor('the second failure', async () => (await app.call<{ failed: number }>('queue.count', { type: 'faulty' }, b.id)).failed === 2, 30_000);
      await sleep(1000); // the event would have been forwarded by now
      assert.equal((await app.state()).notifications.length, 1);

      // d. Close to tray: closing the window hides it; the drones keep running and answering.
      assert.equal(await app.send({ cmd: 'close' }), false, 'the close was prevented');
      let win = (await app.state()).windows[0];
      assert.deepEqual([win.visible, win.destroyed], [false, false]);
      const answered = await app.call<{ result: unknown }>('tasks.request', { type: 'factorial', data: 5 }, a.id);
      assert.equal(answered.result, '78');
      assert.equal((await app.state()).tray!.destroyed, false);

      // b. Clicking the notification brings the window back on the failures of that profile and cause.
      const [group] = await app.call<Array<{ group: string }>>('failed.groups', {}, b.id);
      await app.send({ cmd: 'clickNotification', index: 0 });
      const state = await app.state();
      assert.equal(state.windows[0].visible, true);
      assert.deepEqual(state.navigations, [{ event: 'navigate', data: { view: 'failures', profile: b.id, group: group.group } }]);

      // macOS: a click on the dock icon shows the hidden window.
      await app.send({ cmd: 'close' });
      assert.equal((await app.state()).windows[0].visible, false);
      await app.send({ cmd: 'activate' });
      win = (await app.state()).windows[0];
      assert.deepEqual([win.visible, (await app.state()).windows.length], [true, 1]);

      // a. Stop the failing profile from the tray: it stops, the other runs on, the icon is back to running.
      await app.send({ cmd: 'clickTray', path: [b.name, 'Stop'] });
      tray = await app.trayUntil('b stopped', (t) => profileState(t.menu, b.name) === 'stopped');
      assert.equal(profileState(tray.menu, a.name), 'running');
      assert.deepEqual(enabledActions(tray.menu, b.name), ['Start']);
      tray = await app.trayUntil('running again', (t) => lastImage(t) === 'running.png');
      assert.equal(tray.tooltip, 'Swarmage: 1 running, 1 stopped');
      assert.equal((await app.call<{ result: unknown }>('tasks.request', { type: 'factorial', data: 5 }, a.id)).result, '78');

      // e. Quit from the tray with work in flight: every task ends answered once or back on the queue.
      const { ids } = await app.call<{ ids: string[] }>('tasks.enqueue', { type: 'slow', data: 1, count: 200, postback: 'answers' }, a.id);
      assert.equal(ids.length, 200);
      const sql = await sqlClient(url);
      try {
        const answers = async () => (await sql.query(`SELECT count(*)::int AS n FROM "${schemaA}".tasks WHERE type = 'answers'`)).rows[0].n as number;
        await waitFor('some answers', async () => (await answers()) >= 5, 60_000);
        await app.send({ cmd: 'clickTray', path: [QUIT] });
        assert.equal(await app.exited, 0, app.stderr);
        assert.match(app.stderr, /quitting: stopping the drones gracefully/);
        assert.ok(!app.calls().some((c) => c.startsWith('app.exit')), `exited at once instead of gracefully: ${app.calls().join(', ')}`);

        const { rows: posted } = await sql.query(`SELECT data->>'id' AS id, count(*)::int AS n FROM "${schemaA}".tasks WHERE type = 'answers' GROUP BY 1`);
        const { rows: left } = await sql.query(`SELECT id, state, claimed_by FROM "${schemaA}".tasks WHERE type = 'slow'`);
        const answeredOnce = new Set(posted.filter((r) => r.n === 1).map((r) => r.id as string));
        const back = new Set(left.filter((r) => r.state === 'available' && r.claimed_by === null).map((r) => r.id as string));
        const lost = ids.filter((id) => !answeredOnce.has(id) && !back.has(id));
        const both = ids.filter((id) => answeredOnce.has(id) && back.has(id));
        assert.deepEqual(
          [lost, both],
          [[], []],
          `answered ${answeredOnce.size}, back on the queue ${back.size}; rows left: ${JSON.stringify(left.slice(0, 5))}`,
        );
        assert.equal(posted.length, answeredOnce.size, 'no task answered twice');
        assert.ok(answeredOnce.size > 0 && back.size > 0, `the quit came mid-work: ${answeredOnce.size} answered, ${back.size} back`);
      } finally {
        await sql.end();
      }
    } finally {
      app.kill();
    }
  });

  it('remembers the window (bounds, close to tray) across starts, puts a window from a gone monitor back on screen, and quits on close when close to tray is off', async () => {
    const home = tmpDir();
    const cwd = tmpDir();
    const saved = path.join(home, 'app', 'window.json');

    // First start: the default size, centred; moved and resized, saved (debounced) as it moves.
    let app = new App({ home, cwd });
    try {
      const first = await waitFor('the window', async () => (await app.state()).windows[0]);
      assert.equal(first.options.x, undefined);
      await app.send({ cmd: 'setBounds', bounds: { x: 100, y: 120, width: 1000, height: 700 } });
      await waitFor('the bounds saved', () => fs.existsSync(saved) && JSON.parse(fs.readFileSync(saved, 'utf8')).bounds?.x === 100, 10_000);
      await app.send({ cmd: 'setBounds', bounds: { x: 200 } });
      await app.send({ cmd: 'clickTray', path: [QUIT] }); // before the debounce: the close on quit saves it
      assert.equal(await app.exited, 0, app.stderr);
    } finally {
      app.kill();
    }
    assert.deepEqual(JSON.parse(fs.readFileSync(saved, 'utf8')), { bounds: { x: 200, y: 120, width: 1000, height: 700 }, maximized: false, closeToTray: true });

    // Second start: where it was. Close to tray turned off from the tray: closing the window quits.
    app = new App({ home, cwd });
    try {
      const { options } = await waitFor('the window', async () => (await app.state()).windows[0]);
      assert.deepEqual([options.x, options.y, options.width, options.height], [200, 120, 1000, 700]);
      await app.send({ cmd: 'clickTray', path: [CLOSE_TO_TRAY] });
      const tray = await app.trayUntil('close to tray off', (t) => item(t.menu, CLOSE_TO_TRAY)?.checked === false);
      assert.ok(tray.menus >= 2, 'the menu was rebuilt');
      assert.equal(JSON.parse(fs.readFileSync(saved, 'utf8')).closeToTray, false);
      await app.send({ cmd: 'close' }).catch(() => 'the app may exit before it answers');
      assert.equal(await app.exited, 0, app.stderr);
      assert.ok(app.calls().includes('app.quit'));
    } finally {
      app.kill();
    }

    // Third start, on a machine whose second monitor (where the window was) is gone: on the one left.
    fs.writeFileSync(saved, JSON.stringify({ bounds: { x: 2400, y: 300, width: 1000, height: 700 }, maximized: true, closeToTray: false }));
    app = new App({ home, cwd, displays: [{ x: 0, y: 0, width: 1600, height: 860 }] });
    try {
      const win = await waitFor('the window, maximized', async () => (await app.state()).windows.find((w) => w.maximized));
      assert.deepEqual([win.options.x, win.options.y, win.options.width, win.options.height], [600, 160, 1000, 700]);
      const tray = await app.trayUntil('the tray', (t) => t.menu.length > 0);
      assert.equal(item(tray.menu, CLOSE_TO_TRAY)?.checked, false, 'the setting was remembered');
      await app.send({ cmd: 'clickTray', path: [QUIT] });
      assert.equal(await app.exited, 0, app.stderr);
    } finally {
      app.kill();
    }
    assert.equal(JSON.parse(fs.readFileSync(saved, 'utf8')).maximized, true);
  });
});
