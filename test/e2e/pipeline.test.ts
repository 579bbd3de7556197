import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { testDatabaseUrl, freshSchema } from '../helpers/db.js';
import { startService } from '../helpers/service.js';
import { waitFor } from '../helpers/tmp.js';
import { docsScreenshot, editorText, launchBrowser, screenshot } from '../helpers/browser.js';
import { startHost, type RunningHost } from '../../core/host/server.js';
import type { DroneService } from '../../core/service/droneService.js';
import type { Trace } from '../../core/api/contract.js';

/**
 * Debugging pipelines in a real Chromium against the headless host and a real drone (hot reload on,
 * its demo workers copied to a temp dir): the live graph, a trace, replay, the debugger, hot reload.
 */
describe('pipeline debugging in the UI (headless host, Chromium)', () => {
  let service: DroneService;
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let workersDir: string;
  const problems: string[] = [];

  before(async () => {
    const url = await testDatabaseUrl();
    let dir: string;
    ({ service, dir } = await startService(url, freshSchema(), {}, { hotReload: true }));
    workersDir = path.join(dir, 'workers');
    host = await startHost(service, { host: '127.0.0.1', port: 0 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => {
      // A refused inline style or script would show here: the CSP must hold with the graph library too.
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    await page.goto(host.loginUrl); // the URL the drone prints: trades the token for the cookie
    await page.getByTestId('drone-state').filter({ hasText: 'running' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await service?.stop();
    assert.deepEqual(problems, [], 'no page errors, no CSP violations');
  });

  const text = async (id: string) => (await page.getByTestId(id).first().textContent())?.trim() ?? '';
  const view = async (name: string) => {
    await page.getByTestId(`nav-${name}`).click();
    await page.getByTestId(`view-${name}`).waitFor();
  };
  const enqueue = async (args: Record<string, unknown>): Promise<string[]> => {
    const out = await service.dispatch('tasks.enqueue', args);
    assert.ok(out.ok, JSON.stringify(out));
    return (out.result as { ids: string[] }).ids;
  };
  const openTrace = async (id: string) => {
    await view('trace');
    await page.getByTestId('trace-id-input').fill(id);
    await page.getByTestId('trace-id-open').click();
    await page
      .getByTestId('trace-id')
      .filter({ hasText: new RegExp(`^${id}$`) })
      .waitFor({ timeout: 20_000 });
  };

  it('pipeline: the factorial → hexadecimal edge and a postback edge show non-zero rates while tasks flow', async () => {
    await view('pipeline');
    await page.getByTestId('node-global').waitFor();
    // Keep tasks coming while the page is watched: rates are over the last 5 s.
    let flowing = true;
    const feeder = (async () => {
      while (flowing) {
        await enqueue({ type: 'factorial', data: 200, count: 200, postback: 'answers' });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const local = 'local:factorial>hexadecimal';
      const postback = 'postback:hexadecimal>answers';
      await waitFor(
        'both edges with a rate above zero',
        async () =>
          Number(await text(`edge-rate-${local}`)) > 0 && Number(await text(`edge-rate-${postback}`)) > 0 && Number(await text('node-rate-factorial')) > 0,
        60_000,
        100,
      );
      assert.match(await text(`edge-${local}`), /\/s · /);
      assert.match(await text(`edge-${postback}`), /→ answers/);
      await page.getByTestId('node-hexadecimal').waitFor();
      await docsScreenshot(page, 'pipeline-flowing', 'pipeline');

      // Clicking the edge lists recent tasks on it; a row opens its trace.
      await page.getByTestId(`edge-${local}`).click();
      const first = page.getByTestId('pipeline-tasks').locator('[data-testid^="task-open-"]').first();
      await first.waitFor({ timeout: 20_000 });
      await screenshot(page, 'pipeline-edge-selected');
      const id = ((await first.textContent()) ?? '').trim();
      await first.click();
      await page.getByTestId('view-trace').waitFor();
      await page
        .getByTestId('trace-id')
        .filter({ hasText: new RegExp(`^${id}$`) })
        .waitFor({ timeout: 20_000 });
    } finally {
      flowing = false;
      await feeder;
    }
  });

  it('trace: a factorial 5 task, found in the task explorer, shows both steps and "78"', async () => {
    const [id] = await enqueue({ type: 'factorial', data: 5 });
    await waitFor(
      'the task to finish',
      async () => {
        const r = await service.dispatch('tasks.trace', { traceId: id });
        return r.ok && (r.result as Trace | null)?.steps.at(-1)?.output === '"78"';
      },
      30_000,
    );
    await view('tasks');
    await page.getByTestId('explorer-type').fill('factorial');
    await page.getByTestId('explorer-state').selectOption('done');
    await page.getByTestId('explorer-path').fill('$');
    await page.getByTestId('explorer-op').selectOption('=');
    await page.getByTestId('explorer-value').fill('5');
    await page.getByTestId('explorer-search').click();
    await page.getByTestId(`task-row-${id}`).waitFor({ timeout: 20_000 });
    const rows = await page.getByTestId('explorer-rows').locator('tbody tr').allTextContents();
    assert.ok(
      rows.every((r) => r.includes('factorial')),
      rows.join('\n'),
    );
    await screenshot(page, 'explorer-factorial-5');
    await page.getByTestId(`task-open-${id}`).click();
    await page
      .getByTestId('trace-id')
      .filter({ hasText: new RegExp(`^${id}$`) })
      .waitFor({ timeout: 20_000 });
    await page.getByTestId('trace-step-2').waitFor();
    assert.match(await text('trace-step-1'), /factorial/);
    assert.match(await text('trace-step-2'), /hexadecimal/);
    assert.equal(await text('step-input-1'), '5');
    assert.equal(await text('step-output-1'), '"120"');
    assert.equal(await text('trace-result'), '"78"');
    // Each step has a running bar of its own, apart from its waiting (the worker reports when it began).
    for (const n of [1, 2]) assert.equal(await page.getByTestId(`wf-step-${n}`).locator('.wf-running').count(), 1, `the running bar of step ${n}`);
    await screenshot(page, 'trace-factorial-5');
  });

  it('replay: an edited payload creates a new task linked to the original, with the new result', async () => {
    const [id] = await enqueue({ type: 'factorial', data: 5 });
    await openTrace(id);
    await page.getByTestId('trace-result').filter({ hasText: '"78"' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('replay-open-1').click();
    const editor = page.getByTestId('replay-editor-1');
    assert.equal((await editorText(editor)).trim(), '5', 'prefilled with the step input');
    await editor.fill('{');
    assert.equal(await page.getByTestId('replay-send-1').isDisabled(), true, 'invalid JSON is not sent');
    await editor.fill('6');
    await page.getByTestId('replay-send-1').click();
    // The view moves to the new task's trace once it has reached this drone.
    await page.getByTestId('trace-replay-of').waitFor({ timeout: 30_000 });
    const newId = await text('trace-id');
    assert.notEqual(newId, id);
    assert.match(await text('trace-replay-of'), new RegExp(`task ${id}\\b`));
    assert.equal(new URL(page.url()).hash, `#/trace/${newId}`, 'the trace is in the address');
    await page.getByTestId('trace-result').filter({ hasText: '"2d0"' }).waitFor({ timeout: 30_000 }); // 6! = 720 = 0x2d0
    await screenshot(page, 'replay-new-task');
    // The original lists its replay.
    await page.getByTestId('trace-replay-of').getByRole('button').click();
    await page.getByTestId(`trace-replay-${newId}`).waitFor({ timeout: 20_000 });
  });

  it('a task whose data does not match the payload schema is flagged, its error shown, and its type turns red in the graph', async () => {
    const [id] = await enqueue({ type: 'factorial', data: 'five', maxAttempts: 1 });
    await openTrace(id);
    await page.getByTestId('step-error-1').filter({ hasText: 'factorial needs an integer' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('trace-schema-problem').waitFor({ timeout: 20_000 });
    await screenshot(page, 'trace-failed-schema');
    await view('pipeline');
    await waitFor(
      'factorial shown as failing',
      async () => /\bst-failing\b/.test((await page.getByTestId('node-factorial').getAttribute('class')) ?? ''),
      20_000,
    );
  });

  it('debugger: "Debug this type" shows the inspector\'s ws:// URL, which /json/list does not give away', async () => {
    await view('workers');
    await page.getByTestId('debug-start-factorial').click();
    await page.getByTestId('debug-ws-factorial').waitFor({ timeout: 30_000 });
    const ws = await text('debug-ws-factorial');
    assert.match(ws, /^ws:\/\/127\.0\.0\.1:\d+\//);
    assert.equal(await page.getByTestId('debug-json-factorial').count(), 0, 'no /json/list link');
    const port = /^ws:\/\/127\.0\.0\.1:(\d+)\//.exec(ws)![1];
    const list = await fetch(`http://127.0.0.1:${port}/json/list`);
    assert.equal(list.status, 404, 'the inspector lists no targets (--inspect-publish-uid=stderr)');
    assert.doesNotMatch(await list.text(), /ws:\/\//);
    await page.getByTestId('debug-secret-factorial').waitFor();
    await page.locator('[data-testid^="worker-debug-factorial"]').first().waitFor({ timeout: 20_000 });
    assert.match((await page.getByTestId('debug-open-factorial').getAttribute('href')) ?? '', /^devtools:\/\//);
    await screenshot(page, 'debugger-address');
    await page.getByTestId('debug-stop-factorial').click();
    await page.getByTestId('debug-start-factorial').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid^="worker-debug-factorial"]').first().waitFor({ state: 'detached', timeout: 20_000 });
  });

  it('enqueue: the payload schema of factorial gives a form that sends the same data as the raw editor', async () => {
    await view('enqueue');
    await page.getByTestId('enqueue-type').fill('factorial');
    await page.getByTestId('enqueue-mode-form').click();
    const field = page.getByTestId('sf-data');
    await field.fill('five');
    assert.equal(await field.getAttribute('aria-invalid'), 'true', 'not an integer');
    await field.fill('5');
    await page.getByTestId('enqueue-mode-json').click();
    assert.equal((await editorText(page.getByTestId('enqueue-data'))).trim(), '5', 'the form wrote the raw JSON');
    await page.getByTestId('enqueue-mode-form').click();
    assert.equal(await page.getByTestId('sf-data').inputValue(), '5');
    await screenshot(page, 'enqueue-schema-form');
    await page.getByTestId('enqueue-send-wait').click();
    await page.getByTestId('enqueue-result-json').filter({ hasText: '"78"' }).waitFor({ timeout: 20_000 });
  });

  it('hot reload: editing a worker file restarts that type, and the next result reflects the change', async () => {
    await view('workers');
    assert.equal(await text('hot-reload'), 'hot reload on');
    const file = path.join(workersDir, 'hexadecimal.js');
    const before = fs.readFileSync(file, 'utf8');
    const codes = page.locator('[data-testid^="worker-code-hexadecimal"]');
    const version = (content: string) => crypto.createHash('sha256').update(content).digest('hex').slice(0, 8);
    await waitFor('the code versions on screen', async () => (await codes.allTextContents()).every((c) => c.trim() === version(before)), 20_000);
    const after = before.replace('return this.upper ? hex.toUpperCase() : hex;', 'return `0x${this.upper ? hex.toUpperCase() : hex}`;');
    assert.notEqual(after, before, 'the edit applies to the demo worker');
    fs.writeFileSync(file, after);
    await waitFor(
      'every hexadecimal instance on the new code',
      async () => {
        const seen = (await codes.allTextContents()).map((c) => c.trim());
        return seen.length > 0 && seen.every((c) => c === version(after));
      },
      30_000,
    );
    await screenshot(page, 'hot-reload-new-code');
    await view('enqueue');
    await page.getByTestId('enqueue-type').fill('factorial');
    await page.getByTestId('enqueue-data').fill('5');
    await page.getByTestId('enqueue-send-wait').click();
    await page.getByTestId('enqueue-result-json').filter({ hasText: '"0x78"' }).waitFor({ timeout: 20_000 });
  });
});
