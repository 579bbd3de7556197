import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { startService } from '../helpers/service.js';
import { FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';
import { docsScreenshot, editorText, launchBrowser, screenshot } from '../helpers/browser.js';
import { startHost, type RunningHost } from '../../core/host/server.js';
import type { DroneService } from '../../core/service/droneService.js';

/** The operator UI in a real Chromium against the headless host and a real drone. */
describe('the operator UI (headless host, Chromium)', () => {
  let service: DroneService;
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let sql: pg.Client;
  const schema = freshSchema();

  before(async () => {
    const url = await testDatabaseUrl();
    sql = await sqlClient(url);
    ({ service } = await startService(url, schema, {
      workers: {
        factorial: { module: './workers/factorial.js' },
        hexadecimal: [{ module: './workers/hexadecimal.js' }, { module: './workers/hexadecimal.js' }],
        slow: { module: path.join(FIXTURES, 'workers/record.js'), config: { file: path.join(tmpDir(), 'runs.txt'), delayMs: 15 }, prefetch: 1 },
        faulty: { module: path.join(FIXTURES, 'workers/faulty.js'), timeoutMs: 5000 },
        flaky: { module: path.join(FIXTURES, 'workers/flaky-once.js') },
      },
      retry: { baseMs: 50, maxMs: 200 },
    }));
    host = await startHost(service, { host: '127.0.0.1', port: 0 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(host.loginUrl); // the URL the drone prints: trades the token for the cookie
    await page.getByTestId('drone-state').filter({ hasText: 'running' }).waitFor();
    assert.deepEqual(problems, []);
    assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
    // A browser that has not logged in gets the page that says how to, not the app.
    const stranger = await browser.newPage();
    const refused = await stranger.goto(host.url);
    assert.equal(refused?.status(), 401);
    assert.match(await stranger.content(), /swarmage ui/);
    await stranger.close();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await service?.stop();
    await sql?.end();
  });

  const text = async (id: string) => (await page.getByTestId(id).textContent())?.trim() ?? '';
  const view = async (name: string) => {
    await page.getByTestId(`nav-${name}`).click();
    await page.getByTestId(`view-${name}`).waitFor();
  };

  it('overview: buffers fill and drain while tasks flow', async () => {
    await view('overview');
    await service.dispatch('tasks.enqueue', { type: 'slow', data: 1, count: 300 });
    await service.dispatch('tasks.enqueue', { type: 'factorial', data: 300, count: 2000 });
    const seen = new Set<string>();
    const look = async () => {
      seen.add(await text('buffered-slow'));
      return Number(await text('done-slow'));
    };
    // No maxPerWorker: the drone sizes the buffer (its target grows past the one worker's slot) and says so.
    const buffer = () => text('buffered-slow').then((t) => /^(\d+) \/ (\d+)$/.exec(t));
    await waitFor('a buffer that grew on screen', async () => (await look(), Number((await buffer())?.[2]) > 1 && Number((await buffer())?.[1]) > 1), 30_000);
    assert.equal(await text('flow-slow'), 'auto');
    assert.ok(Number((await text('claim-slow')).replace(/\D+$/, '')) > 0, 'the last claim is shown');
    assert.match((await page.getByTestId('claim-slow').getAttribute('title')) ?? '', /buffer target \d+, sized from what the workers do/);
    // Mid-flow, with rates on the board: this is the README's screenshot.
    await waitFor('some work done', async () => (await look()) >= 100 && Number(await text('rate-slow')) > 0, 60_000, 50);
    const doneEarly = Number(await text('done-slow'));
    await docsScreenshot(page, 'overview-flowing', 'overview');
    await waitFor('the slow tasks to finish', async () => (await look()) >= 300, 60_000, 50);
    assert.ok(Number(await text('done-slow')) > doneEarly, 'done counts up live');
    await waitFor('an empty buffer', async () => (await text('buffered-slow')).startsWith('0 / '), 30_000);
    assert.ok(seen.size > 1, `the buffer was seen moving: ${[...seen].join(', ')}`);
  });

  it('enqueue: "send and wait" shows "78" for factorial 5', async () => {
    await view('enqueue');
    await page.getByTestId('enqueue-type').fill('factorial');
    await page.getByTestId('enqueue-data').fill('{');
    await page.getByTestId('enqueue-json-error').waitFor();
    assert.equal(await page.getByTestId('enqueue-send').isDisabled(), true, 'invalid JSON is not sent');
    await page.getByTestId('enqueue-data').fill('5');
    await page.getByTestId('enqueue-send-wait').click();
    await page.getByTestId('enqueue-result-json').filter({ hasText: '"78"' }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'enqueue-78');
  });

  it('enqueue: "send and wait" on a task that fails shows its error and stack at once', async () => {
    await view('enqueue');
    await page.getByTestId('enqueue-type').fill('faulty');
    await page.getByTestId('enqueue-data').fill('{"mode": "throw"}');
    await page.getByTestId('enqueue-send-wait').click();
    const failure = page.getByTestId('enqueue-failure');
    await failure.waitFor({ timeout: 20_000 });
    assert.match((await failure.textContent()) ?? '', /failed after 5 attempts, in \d+ ms: asked to throw \(attempt 5\)/);
    assert.match((await page.getByTestId('enqueue-failure-stack').textContent()) ?? '', /at Object\.work \(.*faulty\.js/);
    await screenshot(page, 'enqueue-failed');
  });

  it('workers: a crashed worker shows as crashed, then back', async () => {
    await view('workers');
    const ids = await service.dispatch('tasks.enqueue', { type: 'faulty', data: { mode: 'exit' }, count: 5, maxAttempts: 1 });
    assert.ok(ids.ok);
    const states = new Set<string>();
    await waitFor(
      'a crash on screen',
      async () => {
        states.add(await text('worker-state-faulty'));
        return states.has('crashed') || states.has('restarting');
      },
      30_000,
      20,
    );
    await screenshot(page, 'worker-crashed');
    await waitFor('the worker back', async () => (await text('worker-state-faulty')) === 'idle', 30_000);
    assert.match((await page.getByTestId('worker-faulty').textContent()) ?? '', /exited \(code 3\)/);
  });

  it('logs: the filter narrows the lines', async () => {
    await view('logs');
    await waitFor('log lines', async () => (await page.getByTestId('log-line').count()) > 5);
    const all = await text('log-count');
    await page.getByTestId('log-filter-text').fill('exited (code 3)');
    await waitFor('the filter to apply', async () => /of .* lines match/.test(await text('log-count')));
    const rows = await page.getByTestId('log-line').allTextContents();
    assert.ok(rows.length > 0 && rows.every((r) => r.includes('exited (code 3)')), rows.slice(0, 3).join('\n'));
    const matched = Number((await text('log-count')).split(' ')[0]);
    assert.ok(matched < Number(all.split(' ')[0]), `${matched} of ${all}`);
    await screenshot(page, 'logs-filtered');
    await page.getByTestId('log-filter-text').fill('');
  });

  it('config: an invalid edit shows an inline error; a valid one is applied', async () => {
    await view('config');
    const editor = page.getByTestId('config-editor');
    await waitFor('the config text', async () => (await editorText(editor)).includes('"workers"'));
    const original = await editorText(editor);
    await editor.fill(original.replace('"pollIntervalMs": 200', '"pollIntervalMs": 200, "maxPerWorker": "lots"'));
    await page.getByTestId('config-issue').filter({ hasText: 'maxPerWorker' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'config-invalid');
    // Applying it anyway is refused by the drone, which keeps running on the old config.
    await page.getByTestId('config-apply').click();
    await page.getByTestId('config-result').filter({ hasText: 'maxPerWorker' }).waitFor({ timeout: 10_000 });
    assert.equal(service.snapshot().app.state, 'running');
    await editor.fill(original.replace('"pollIntervalMs": 200', '"pollIntervalMs": 200, "maxPerWorker": 20'));
    await waitFor('no issues', async () => (await page.getByTestId('config-issues').getByTestId('config-issue').count()) === 0, 10_000);
    await page.getByTestId('config-apply').click();
    await page.getByTestId('config-result').waitFor({ timeout: 30_000 });
    await view('overview');
    await waitFor('the new capacity', async () => (await text('buffered-factorial')).endsWith('/ 20'), 30_000);
  });

  it('failures: a failed task, found under its cause, can be retried', async () => {
    const out = await service.dispatch('tasks.enqueue', { type: 'flaky', data: 'once', count: 1, maxAttempts: 1, postback: 'flaky-answers' });
    assert.ok(out.ok);
    const id = (out.result as { ids: string[] }).ids[0];
    await waitFor(
      'the task to fail',
      async () => (await sql.query(`SELECT 1 FROM ${schema}.tasks WHERE id = $1 AND state = 'failed'`, [id])).rowCount === 1,
      30_000,
    );
    await view('failures');
    // Its cause is a group of its own (the other failures of this suite have other messages); opening it lists the task.
    const group = page.locator('[data-group]').filter({ hasText: 'first attempts of <str> always fail' });
    await group.waitFor({ timeout: 10_000 });
    await group.locator('[data-testid^="failure-open-"]').click();
    await page.getByTestId(`failed-row-${id}`).waitFor({ timeout: 10_000 });
    assert.match((await page.getByTestId(`failed-row-${id}`).textContent()) ?? '', /first attempts of "once" always fail/);
    await screenshot(page, 'failed-task');
    await page.getByTestId(`failed-retry-${id}`).click();
    const answer = await waitFor(
      'the retried task to succeed',
      async () => (await sql.query(`SELECT data FROM ${schema}.tasks WHERE type = 'flaky-answers'`)).rows[0],
      30_000,
    );
    assert.deepEqual(answer.data, { recovered: 'once', attempt: 2 });
    await page.getByTestId(`failed-row-${id}`).waitFor({ state: 'detached', timeout: 15_000 });
  });
});
