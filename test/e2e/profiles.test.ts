/**
 * Several drones in one app, as a user meets it: `npm start -- a.json b.json` where Electron cannot
 * run (the launcher's headless host, a real process), two real drones on a real Postgres with real
 * workers, and the UI in Debian's Chromium.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '../helpers/ports.js';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { docsScreenshot, launchBrowser } from '../helpers/browser.js';
import { EXAMPLES, FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';

const LAUNCHER = path.resolve(import.meta.dirname, '../../electron/launch.js');

/** A project folder named `name` with a config on the test database; returns the config file. */
function project(root: string, name: string, config: Record<string, unknown>): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(EXAMPLES, 'workers'), path.join(dir, 'workers'), { recursive: true });
  const file = path.join(dir, 'swarmage.config.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

describe('several drones in the app (npm start headless, Chromium)', () => {
  let app: ChildProcess;
  let stderr = '';
  let browser: Browser;
  let page: Page;
  let sql: pg.Client;
  const schema = freshSchema();
  let root: string;
  let billing: string;
  let mailer: string;

  before(async () => {
    const url = await testDatabaseUrl();
    sql = await sqlClient(url);
    root = tmpDir();
    const queue = { config: { connectionString: url, schema } };
    billing = project(root, 'billing', {
      queue,
      workers: { factorial: { module: './workers/factorial.js' }, hexadecimal: { module: './workers/hexadecimal.js' } },
      localQueue: { path: 'local.sqlite' },
    });
    mailer = project(root, 'mailer', {
      queue,
      workers: { send: { module: path.join(FIXTURES, 'workers/record.js'), config: { file: path.join(root, 'sent.txt'), delayMs: 10 } } },
      localQueue: { path: 'local.sqlite' },
    });
    const port = await freePort();
    app = spawn(process.execPath, [LAUNCHER, billing, mailer], {
      cwd: root,
      env: { ...process.env, SWARMAGE_HEADLESS: '1', SWARMAGE_HOME: path.join(root, 'home'), SWARMAGE_UI_PORT: String(port), SWARMAGE_DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stderr!.on('data', (d) => (stderr += d));
    app.stdout!.resume();
    const login = (await waitFor('the login URL', () => /operator UI on (\S+)/.exec(stderr), 30_000))[1];
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(login);
    await page.getByTestId('profile-state-billing').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('profile-state-mailer').filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
    assert.deepEqual(problems, []);
  });
  after(async () => {
    await browser?.close();
    if (app && app.exitCode === null) {
      const exited = new Promise((r) => app.once('exit', r));
      app.kill('SIGINT');
      await exited;
    }
    await sql?.end();
  });

  const view = async (name: string) => {
    await page.getByTestId(`nav-${name}`).click();
    await page.getByTestId(`view-${name}`).waitFor();
  };
  const show = async (profile: string) => {
    await page.getByTestId(`profile-${profile}`).click();
    await page.locator(`[data-testid="profile-${profile}"].active`).waitFor();
  };

  it('the switcher changes every per-drone view', async () => {
    await show('billing');
    await view('overview');
    await page.getByTestId('type-row-factorial').waitFor();
    assert.equal(await page.getByTestId('type-row-send').count(), 0);
    await view('workers');
    await page.locator('[data-testid^="worker-factorial"]').first().waitFor();
    await view('config');
    await page.getByText(billing).first().waitFor();

    await show('mailer');
    // Still on Config, now the mailer's file.
    await page.getByText(mailer).first().waitFor();
    await view('workers');
    await page.locator('[data-testid^="worker-send"]').first().waitFor();
    assert.equal(await page.locator('[data-testid^="worker-factorial"]').count(), 0);
    await view('overview');
    await page.getByTestId('type-row-send').waitFor();
    assert.equal(await page.getByTestId('type-row-factorial').count(), 0);
    await view('logs');
    // This drone's own log: its start names its types and its local queue, in the mailer's folder.
    await page.getByTestId('log-filter-text').fill('starting: types');
    await page
      .getByTestId('log-line')
      .filter({ hasText: /starting: types send; local queue .*mailer/ })
      .first()
      .waitFor({ timeout: 10_000 });
    assert.equal(
      await page
        .getByTestId('log-line')
        .filter({ hasText: /starting: types factorial/ })
        .count(),
      0,
    );
    await docsScreenshot(page, 'profiles-switcher', 'profiles');
  });

  it('stopping one drone leaves the other draining', async () => {
    const { rows } = await sql.query<{ id: string }>(
      `INSERT INTO ${schema}.tasks (type, data) SELECT 'send', to_jsonb(g) FROM generate_series(1, 400) g RETURNING id`,
    );
    assert.equal(rows.length, 400);
    await show('billing');
    await page.getByTestId('profile-stop').click();
    await page.getByTestId('profile-state-billing').filter({ hasText: 'stopped' }).waitFor({ timeout: 30_000 });
    await view('overview');
    await page.getByTestId('overview-empty').waitFor();

    await show('mailer');
    await view('overview');
    await waitFor('the mailer to drain the 400', async () => Number(await page.getByTestId('done-send').textContent()) >= 400, 60_000);
    const left = await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE type = 'send'`);
    assert.equal(left.rows[0].n, 0);
    assert.equal((await page.getByTestId('profile-state-mailer').textContent())?.trim(), 'running');

    await show('billing');
    await page.getByTestId('profile-start').click();
    await page.getByTestId('profile-state-billing').filter({ hasText: 'running' }).waitFor({ timeout: 30_000 });
  });

  it('a profile with an invalid config shows its problems at the right line while the others keep running', async () => {
    const broken = project(root, 'broken', {
      queue: { config: { connectionString: 'postgres://unused@127.0.0.1:1/x', schema } },
      workers: { factorial: { module: './workers/factorial.js' } },
      maxPerWorker: 'lots',
    });
    const badLine = fs
      .readFileSync(broken, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('"maxPerWorker"'));
    await page.getByTestId('profile-add').click();
    await page.getByTestId('add-profile').waitFor();
    await page.getByTestId('add-config-path').fill(broken);
    await page.getByTestId('add-config').click();
    await page.getByTestId('profile-state-broken').filter({ hasText: 'error' }).waitFor({ timeout: 30_000 });
    await show('broken');
    await view('config');
    const issue = page.getByTestId('config-issue').filter({ hasText: 'maxPerWorker' });
    await issue.waitFor();
    assert.match((await issue.textContent()) ?? '', new RegExp(`line ${badLine + 1}\\b`));
    // And in the editor, at that line.
    await page.getByTestId(`gutter-mark-${badLine + 1}`).waitFor();
    await page.getByTestId('profile-state-mailer').filter({ hasText: 'running' }).waitFor();
    await page.getByTestId('profile-state-billing').filter({ hasText: 'running' }).waitFor();
    await docsScreenshot(page, 'profiles-broken-config', 'profiles-config-error');

    // Meanwhile the others still work.
    await sql.query(`INSERT INTO ${schema}.tasks (type, data) SELECT 'send', to_jsonb(g) FROM generate_series(1, 20) g`);
    await waitFor(
      'the mailer to take them',
      async () => (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE type = 'send'`)).rows[0].n === 0,
      30_000,
    );

    // Removing it takes it out of the switcher and the saved list; its file stays.
    await page.getByTestId('profile-remove').click();
    await page.getByTestId('profile-broken').waitFor({ state: 'detached' });
    assert.ok(fs.existsSync(broken));
    const saved = JSON.parse(fs.readFileSync(path.join(root, 'home', 'app', 'profiles.json'), 'utf8'));
    assert.deepEqual(
      saved.profiles.map((p: { name: string }) => p.name),
      ['billing', 'mailer'],
    );
  });

  it('the first-run screen offers a config, a drone to attach to, or the demo', async () => {
    await page.getByTestId('profile-add').click();
    await page.getByTestId('add-profile').waitFor();
    for (const id of ['add-config-path', 'attach-url', 'attach-token', 'add-demo']) assert.equal(await page.getByTestId(id).count(), 1, id);
    await page.getByTestId('add-config-path').fill(path.join(root, 'nowhere.json'));
    await page.getByTestId('add-config').click();
    assert.match((await page.getByTestId('add-profile-error').textContent()) ?? '', /nowhere\.json: no such file/);
    await docsScreenshot(page, 'profiles-add', 'add-drone');
    await view('overview');
    await page.getByTestId('add-profile').waitFor({ state: 'detached' });
  });
});
