import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { startService } from '../helpers/service.js';
import { waitFor } from '../helpers/tmp.js';
import { docsScreenshot, editorText, launchBrowser, screenshot } from '../helpers/browser.js';
import { startHost, type RunningHost } from '../../core/host/server.js';
import type { DroneService } from '../../core/service/droneService.js';

/** The Enqueue view as a testing tool, in a real Chromium on a real drone: import, schedule, wait for many, templates. */
describe('the Enqueue view: JSONL import, send and wait for many, schedule, templates (Chromium)', () => {
  let service: DroneService;
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  let sql: pg.Client;
  const schema = freshSchema();
  const problems: string[] = [];

  before(async () => {
    const url = await testDatabaseUrl();
    sql = await sqlClient(url);
    ({ service } = await startService(url, schema, { retry: { baseMs: 50, maxMs: 200 } }));
    host = await startHost(service, { host: '127.0.0.1', port: 0 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(host.loginUrl);
    await page.getByTestId('drone-state').filter({ hasText: 'running' }).waitFor();
  });
  after(async () => {
    assert.deepEqual(problems, [], 'no error in the page');
    await browser?.close();
    await host?.close();
    await service?.stop();
    await sql?.end();
  });

  const text = async (id: string) => (await page.getByTestId(id).first().textContent())?.trim() ?? '';
  const openEnqueue = async (type: string) => {
    await page.getByTestId('nav-enqueue').click();
    await page.getByTestId('view-enqueue').waitFor();
    await page.getByTestId('enqueue-type').fill(type);
  };
  // The page opens on the view it showed (the Enqueue view has no drone-state); the header's state is on every view.
  const reload = async () => {
    await page.reload();
    await page.getByTestId('app-state').filter({ hasText: 'running' }).waitFor();
  };
  const pickFile = (name: string, lines: string[]) =>
    page.getByTestId('bulk-file').setInputFiles({ name, mimeType: 'application/x-ndjson', buffer: Buffer.from(lines.join('\n') + '\n') });
  const enqueuedLogs = () => service.ring.recent().filter((l) => /^enqueued \d+ task\(s\) of/.test(l.msg)).length;
  const countOf = async (type: string) => Number((await sql.query(`SELECT count(*) FROM "${schema}".tasks WHERE type = $1`, [type])).rows[0].count);

  // 200 demo tasks: factorials, a few hexadecimal lines of their own type, one that fails at once.
  const demo = Array.from({ length: 200 }, (_, i) =>
    i === 3 ? '{"data": -1, "maxAttempts": 1}' : i % 20 === 0 ? `{"type": "hexadecimal", "data": "${i + 255}"}` : String(i % 40),
  );

  it('a bad line is shown with its number and nothing is sent; the fixed file is sent whole, then waited for', async () => {
    await openEnqueue('factorial');
    await pickFile('demo.jsonl', ['{"data": 5, oops}', ...demo.slice(1)]);
    await page
      .getByTestId('bulk-errors')
      .filter({ hasText: /bad line 1: not JSON: .* at column \d+/ })
      .waitFor();
    assert.match(await text('bulk-errors-summary'), /demo\.jsonl: 1 bad line; nothing is sent/);
    assert.equal(await page.getByTestId('bulk-send').isDisabled(), true);
    assert.equal(await page.getByTestId('bulk-send-wait').isDisabled(), true);
    assert.equal(enqueuedLogs(), 0, 'nothing sent');

    await pickFile('demo.jsonl', demo);
    await page.getByTestId('bulk-ready').filter({ hasText: 'demo.jsonl: 200 tasks of hexadecimal, factorial' }).waitFor();
    // The form's options apply to every line: a bad one stops the send and says so.
    await page.getByTestId('enqueue-run-mode').selectOption('delay');
    await page.getByTestId('enqueue-delay').fill('-3');
    await page.getByTestId('bulk-blocked').filter({ hasText: 'The options on the left apply to every line: fix them first.' }).waitFor();
    assert.equal(await page.getByTestId('bulk-send').isDisabled(), true);
    await page.getByTestId('enqueue-run-mode').selectOption('now');
    await page.getByTestId('bulk-send').click();
    await page
      .getByTestId('bulk-summary')
      .filter({ hasText: /^Sent 200 tasks in .* \(ids \d+ … \d+\)\.$/ })
      .waitFor({ timeout: 30_000 });
    assert.equal(await text('bulk-progress-text'), '200 of 200 sent');
    assert.equal(enqueuedLogs(), 1, 'one call for the file');

    await page.getByTestId('bulk-send-wait').click();
    await page.getByTestId('bulk-progress-text').waitFor();
    await page
      .getByTestId('bulk-summary')
      .filter({ hasText: /^199 answered, 1 failed, 0 timed out, in / })
      .waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('bulk-result-row').count(), 200);
    const row = (n: number) => page.getByTestId('bulk-result-row').nth(n);
    assert.match((await row(5).textContent()) ?? '', /^6factorial\d+answered"78"\d+$/, 'line 6 is 5: 5! = 0x78');
    assert.match((await row(0).textContent()) ?? '', /^1hexadecimal\d+answered"ff"/);
    assert.match((await row(3).textContent()) ?? '', /^4factorial\d+failedfactorial needs an integer from 0 to 10000, got -1/);
    await page.getByTestId('bulk-run').scrollIntoViewIfNeeded();
    await docsScreenshot(page, 'enqueue-bulk', 'enqueue-bulk');
  });

  it('a JSONL file dropped on the view is read as an import, not opened as a drone config', async () => {
    await openEnqueue('bulk-sink');
    const dialogs: string[] = [];
    const onDialog = (d: { message(): string; dismiss(): Promise<void> }) => {
      dialogs.push(d.message());
      void d.dismiss();
    };
    page.on('dialog', onDialog);
    try {
      // What a drop from the file manager delivers: a DataTransfer holding the file.
      await page.evaluate(`(() => {
        const data = new DataTransfer();
        data.items.add(new File(['{"n": 1}\\n{"n": 2}\\n'], 'dropped.jsonl', { type: 'application/x-ndjson' }));
        document.querySelector('.enqueue-view').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      })()`);
      await page.getByTestId('bulk-ready').filter({ hasText: 'dropped.jsonl: 2 tasks of bulk-sink' }).waitFor();
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(dialogs, [], 'the app-wide drop (a config) left it alone');
    } finally {
      page.off('dialog', onDialog);
    }
  });

  it('10,000 lines: parsed, sent in batches with progress, every task on the queue', async (t) => {
    await openEnqueue('bulk-sink');
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ n: i, note: 'x'.repeat(100) }));
    const started = Date.now();
    await pickFile('big.jsonl', lines);
    await page.getByTestId('bulk-ready').filter({ hasText: 'big.jsonl: 10000 tasks of bulk-sink' }).waitFor();
    const parsed = Date.now();
    await page.getByTestId('bulk-send').click();
    await page
      .getByTestId('bulk-summary')
      .filter({ hasText: /^Sent 10000 tasks/ })
      .waitFor({ timeout: 60_000 });
    t.diagnostic(`10,000 lines: read and checked in ${parsed - started} ms, sent in ${Date.now() - parsed} ms`);
    assert.equal(await countOf('bulk-sink'), 10_000);
    const order = await sql.query(`SELECT (data->>'n')::int AS n FROM "${schema}".tasks WHERE type = 'bulk-sink' ORDER BY id`);
    assert.deepEqual(
      order.rows.map((r) => r.n),
      lines.map((_, i) => i),
      'in the file order',
    );
  });

  it('a delay: the task waits and the answer says when it runs; count > 1 "send and wait" fills the table', async () => {
    await openEnqueue('later');
    await page.getByTestId('enqueue-data').fill('{"when": "later"}');
    await page.getByTestId('enqueue-run-mode').selectOption('delay');
    await page.getByTestId('enqueue-delay').fill('-3');
    await page.getByTestId('enqueue-schedule-error').filter({ hasText: 'Delay: a number of seconds from 0 to 366 days' }).waitFor();
    assert.equal(await page.getByTestId('enqueue-send').isDisabled(), true);
    await page.getByTestId('enqueue-delay').fill('5');
    await page.getByTestId('enqueue-delay-unit').selectOption('m');
    const before = Date.now();
    await page.getByTestId('enqueue-send').click();
    await page
      .getByTestId('enqueue-run-time')
      .filter({ hasText: /^They run at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(5 m 00 s after sending\)\.$/ })
      .waitFor();
    const at = Number((await sql.query(`SELECT extract(epoch FROM run_at) * 1000 AS at FROM "${schema}".tasks WHERE type = 'later'`)).rows[0].at);
    assert.ok(Math.abs(at - (before + 300_000)) < 5000, new Date(at).toISOString());

    await page.getByTestId('enqueue-run-mode').selectOption('now');
    await page.getByTestId('enqueue-type').fill('factorial');
    await page.getByTestId('enqueue-data').fill('6');
    await page.getByTestId('enqueue-count').fill('5');
    await page.getByTestId('enqueue-send-wait').click();
    await page
      .getByTestId('bulk-summary')
      .filter({ hasText: /^5 answered, 0 failed, 0 timed out/ })
      .waitFor({ timeout: 30_000 });
    assert.deepEqual(await page.getByTestId('bulk-result-status').allTextContents(), Array(5).fill('answered'));
    await screenshot(page, 'enqueue-wait-many');
  });

  it('a template keeps the payload and options across a reload; rename and delete', async () => {
    await openEnqueue('factorial');
    await page.getByTestId('enqueue-data').fill('12');
    await page.getByTestId('enqueue-count').fill('3');
    await page.getByTestId('enqueue-run-mode').selectOption('delay');
    await page.getByTestId('enqueue-delay').fill('45');
    await page.getByTestId('template-name').fill('twelve');
    await page.getByTestId('template-save').click();
    await page.getByTestId('template-item').filter({ hasText: 'twelve' }).waitFor();

    await reload();
    await openEnqueue('factorial');
    await page.getByTestId('enqueue-data').fill('');
    await page.getByTestId('template-load').filter({ hasText: 'twelve' }).click();
    assert.equal(await editorText(page.getByTestId('enqueue-data')), '12');
    assert.equal(await page.getByTestId('enqueue-count').inputValue(), '3');
    assert.equal(await page.getByTestId('enqueue-delay').inputValue(), '45');
    // Another type has its own templates.
    await page.getByTestId('enqueue-type').fill('hexadecimal');
    assert.equal(await page.getByTestId('template-item').count(), 0);
    await page.getByTestId('enqueue-type').fill('factorial');

    await page.getByTestId('template-name').fill('twelve');
    assert.equal(await text('template-save'), 'Overwrite');
    await page.getByTestId('template-rename').click();
    await page.getByTestId('template-rename-input').fill('dozen');
    await page.getByTestId('template-rename-input').press('Enter');
    await page.getByTestId('template-item').filter({ hasText: 'dozen' }).waitFor();
    await page.getByTestId('template-delete').click();
    await waitFor('the template gone', async () => (await page.getByTestId('template-item').count()) === 0);
    await reload();
    await openEnqueue('factorial');
    assert.equal(await page.getByTestId('template-item').count(), 0, 'deleted for good');

    // Corrupt storage is ignored with a warning, never a crash.
    const warnings: string[] = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await page.evaluate("localStorage.setItem('swarmage.templates.v1', '{broken')");
    await reload();
    await openEnqueue('factorial');
    await page.getByTestId('enqueue-templates').waitFor();
    assert.ok(
      warnings.some((w) => /ignored the enqueue templates/.test(w)),
      warnings.join('\n'),
    );
  });
});
