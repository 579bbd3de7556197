import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { enqueueAll, Fleet, running, type FleetDrone } from '../helpers/fleet.js';
import { FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';
import { docsScreenshot, launchBrowser, screenshot } from '../helpers/browser.js';

/**
 * The whole-queue views in a real Chromium, on the UI of a real `swarmage drone --ui` process, with
 * a second drone process that is killed with SIGKILL while it holds tasks. The queue holds several
 * types: one no drone serves (10,050 tasks: more than the overview counts), one flowing, one held by
 * the drone that dies, and poison tasks that fail with two distinct errors.
 */
const RECORD = path.join(FIXTURES, 'workers/record.js');
const CHARGE = path.join(FIXTURES, 'workers/charge-invoice.js');
/** Short, so that the killed drone is dead within seconds; the live drone rescues every third of its own. */
const LEASE_MS = 9000;
const UNSERVED = 10_050;
const THUMBNAILS = 8;
const NO_CUSTOMER = 6;
const BAD_AMOUNT = 3;
const A = 'render-01';
const B = 'ops-02';

describe('the Queue, Fleet and Failures views (two drone processes, one killed; Chromium)', () => {
  let url: string;
  let sql: pg.Client;
  let fleet: Fleet;
  let a: FleetDrone;
  let b: FleetDrone;
  let browser: Browser;
  let page: Page;
  const schema = freshSchema();
  const fixedFile = path.join(tmpDir(), 'fix-deployed');
  const bRuns = path.join(tmpDir(), 'thumbnails-b.txt');
  const problems: string[] = [];

  const droneConfig = (alias: string, workers: Record<string, unknown>) => ({
    alias,
    queue: { config: { schema } },
    localQueue: { path: 'local.sqlite' },
    pollIntervalMs: 200,
    leaseMs: LEASE_MS,
    workers,
  });
  const count = async (where: string, params: unknown[] = []) =>
    Number((await sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE ${where}`, params)).rows[0].n);
  const text = async (id: string) => (await page.getByTestId(id).textContent())?.trim() ?? '';
  const view = async (name: string) => {
    await page.getByTestId(`nav-${name}`).click();
    await page.getByTestId(`view-${name}`).waitFor();
  };
  const shows = (id: string, pattern: string | RegExp, timeout = 30_000) => page.getByTestId(id).filter({ hasText: pattern }).waitFor({ timeout });

  before(async () => {
    url = await testDatabaseUrl();
    sql = await sqlClient(url);
    fleet = new Fleet(url, 'queue-e2e');
    // The drone that will die: it holds every thumbnail, each of which would take ten minutes (a
    // fixed buffer: left to itself a drone holds one such task per worker).
    a = fleet.start(A, tmpDir(), {
      ...droneConfig(A, {
        thumbnail: { module: RECORD, config: { file: path.join(tmpDir(), 'thumbnails-a.txt'), delayMs: 600_000 }, timeoutMs: 900_000 },
        'resize-image': { module: RECORD, config: { file: path.join(tmpDir(), 'resize.txt') } },
      }),
      maxPerWorker: 15,
    });
    await running(a);
    await enqueueAll(
      url,
      schema,
      Array.from({ length: THUMBNAILS }, (_, i) => ({ type: 'thumbnail', data: { photo: `IMG_${4100 + i}.jpg`, width: 320 } })),
    );
    await waitFor('the first drone to hold every thumbnail', async () => (await count(`claimed_by = $1`, [A])) === THUMBNAILS, 30_000);

    // The live drone, whose UI the browser opens: it serves the thumbnails too, mail and billing.
    b = fleet.start(
      B,
      tmpDir(),
      droneConfig(B, {
        'send-email': { module: RECORD, config: { file: path.join(tmpDir(), 'mail.txt'), delayMs: 40 } },
        thumbnail: { module: RECORD, config: { file: bRuns, delayMs: 200 } },
        'charge-invoice': { module: CHARGE, config: { fixedFile } },
      }),
      { args: ['--ui', '127.0.0.1:0'] },
    );
    await running(b);
    const login = await waitFor('the UI address', () => /operator UI on (https?:\/\/\S+)/.exec(b.output())?.[1]);

    const hour = new Date(Date.now() + 3_600_000);
    await enqueueAll(url, schema, [
      ...Array.from({ length: UNSERVED }, (_, i) => ({ type: 'export-report', data: { report: 'monthly-sales', region: `r${i % 40}` } })),
      ...Array.from({ length: NO_CUSTOMER }, (_, i) => ({ type: 'charge-invoice', data: { invoice: 1040 + i, amount: '19.90' }, maxAttempts: 1 })),
      ...Array.from({ length: BAD_AMOUNT }, (_, i) => ({
        type: 'charge-invoice',
        data: { invoice: 2070 + i, customer: `c-${310 + i}`, amount: ['12,50', 'n/a', '€19.00'][i] },
        maxAttempts: 1,
      })),
      ...Array.from({ length: 5 }, (_, i) => ({ type: 'send-email', data: { to: `user${i}@example.com`, template: 'weekly-digest' }, runAt: hour })),
    ]);

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(login);
    await page.getByTestId('drone-state').filter({ hasText: 'running' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    fleet?.saveLogs();
    const stopped = await fleet?.stopAll(60_000);
    await sql?.end();
    assert.deepEqual(problems, [], 'no page errors');
    assert.deepEqual(
      stopped?.map((s) => [s.name, s.code]),
      [[B, 0]],
      'the live drone stops cleanly',
    );
  });

  it('Queue: the unserved type is flagged and first; counts past the cap show as a lower bound and can be counted exactly', async () => {
    await view('queue');
    // Mail keeps arriving while the page is watched: the rates are between overviews.
    let feeding = true;
    const feeder = (async () => {
      for (let n = 0; feeding; n++) {
        await enqueueAll(
          url,
          schema,
          Array.from({ length: 20 }, (_, i) => ({ type: 'send-email', data: { to: `customer${n * 20 + i}@example.com`, template: 'order-shipped' } })),
        );
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      await shows('queue-unserved-export-report', 'no live drone serves this type — tasks pile up');
      await page.getByTestId('queue-unserved-banner').filter({ hasText: 'export-report' }).waitFor();
      const first = page.getByTestId('queue-table').locator('tbody tr').first();
      assert.equal(await first.getAttribute('data-testid'), 'queue-row-export-report', 'the unserved type comes first');
      assert.equal(await text('queue-available-export-report'), '10,000+');
      assert.match(await text('queue-served-export-report'), /no live drone/);
      await shows('queue-failed-charge-invoice', String(NO_CUSTOMER + BAD_AMOUNT));
      await shows('queue-claimed-thumbnail', String(THUMBNAILS));
      await shows('queue-scheduled-send-email', '5');
      for (const d of [A, B]) assert.match(await text('queue-served-thumbnail'), new RegExp(d), `${d} serves thumbnail`);
      await waitFor(
        'mail flowing, with both rates',
        async () => Number(await text('queue-processed-send-email')) > 0 && Number(await text('queue-enqueued-send-email')) > 0,
        30_000,
        100,
      );
      await docsScreenshot(page, 'queue-overview', 'queue');
    } finally {
      feeding = false;
      await feeder;
    }

    await page.getByTestId('queue-count-export-report').click();
    await shows('queue-available-export-report', /^10,050$/);
  });

  it('Queue: a type’s tasks page by keyset; selected waiting tasks are cancelled, a scheduled one runs now', async () => {
    await page.getByTestId('queue-open-export-report').click();
    const list = page.getByTestId('queue-type-list');
    await list.waitFor();
    const rows = list.locator('tbody tr');
    await waitFor('a first page', async () => (await rows.count()) === 50);
    await page.getByTestId('queue-load-more').click();
    await waitFor('a second page', async () => (await rows.count()) === 100);
    const ids = await list.locator('[data-testid^="gtask-open-"]').allTextContents();
    assert.equal(new Set(ids).size, 100, 'no row twice across pages');
    for (const id of ids.slice(0, 2)) await page.getByTestId(`gtask-select-${id}`).check();
    await page.getByTestId('queue-cancel-selected').click();
    await page.getByTestId('queue-cancel-selected-confirm').click();
    await shows('queue-type-message', 'Cancelled 2 tasks');
    assert.equal(await count(`id = ANY($1::bigint[])`, [ids.slice(0, 2)]), 0, 'both gone from the queue');
    assert.equal(await count(`type = 'export-report'`), UNSERVED - 2);

    await page.getByTestId('queue-open-send-email').click();
    await page.getByTestId('queue-tab-scheduled').click();
    const scheduled = page.getByTestId('queue-type-list').locator('[data-testid^="gtask-open-"]');
    await waitFor('the scheduled mail', async () => (await scheduled.count()) === 5);
    const later = ((await scheduled.first().textContent()) ?? '').trim();
    await page.getByTestId(`gtask-select-${later}`).check();
    await page.getByTestId('queue-run-now-selected').click();
    await shows('queue-type-message', 'Made due now: 1 task');
    await waitFor('the mail sent now', async () => (await count(`id = $1`, [later])) === 0, 30_000);
  });

  it('Fleet: the killed drone goes stale, then dead; its claims return to the queue and the live drone runs them', async () => {
    const held = (await sql.query(`SELECT id FROM "${schema}".tasks WHERE claimed_by = $1 ORDER BY id`, [A])).rows.map((r) => r.id as string);
    assert.equal(held.length, THUMBNAILS);
    await view('fleet');
    await shows(`fleet-self-${B}`, 'this drone');
    await shows(`fleet-state-${A}`, 'alive');
    await shows(`fleet-held-${A}`, String(THUMBNAILS));
    await page.getByTestId(`fleet-open-${A}`).click();
    await waitFor('its held tasks listed', async () => (await page.getByTestId('fleet-held-tasks').locator('tbody tr').count()) === THUMBNAILS);

    await fleet.kill(a);
    // Between a missed heartbeat and the rescue, the row says when the claims come back.
    const returns = page.getByTestId(`fleet-returns-${A}`);
    await returns.filter({ hasText: `its ${THUMBNAILS} claims return` }).waitFor({ timeout: 30_000 });
    assert.match(await text(`fleet-state-${A}`), /^(stale|dead)$/);
    await screenshot(page, 'fleet-claims-returning');
    const shot = await docsScreenshot(page, 'fleet-dead-drone', 'fleet');
    assert.ok(fs.existsSync(shot));

    await shows(`fleet-state-${A}`, 'dead');
    await shows(`fleet-held-${A}`, /^0$/);
    await page.getByTestId('fleet-detail-empty').waitFor({ timeout: 20_000 });
    assert.equal(await returns.count(), 0, 'nothing left to return');
    assert.equal(await count(`claimed_by = $1`, [A]), 0, 'the dead drone holds nothing');
    await waitFor('the live drone to run every thumbnail', async () => (await count(`type = 'thumbnail'`)) === 0, 60_000);
    const ranOnB = new Set(
      fs
        .readFileSync(bRuns, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    );
    assert.deepEqual(
      held.filter((id) => !ranOnB.has(id)),
      [],
      'every task the dead drone held ran on the live one',
    );
    assert.equal(await text(`fleet-state-${B}`), 'alive');
  });

  it('Failures: two causes with their counts; "Retry all" of one brings its tasks back, and after the fix they succeed', async () => {
    await view('failures');
    const groups = page.getByTestId('failure-groups').locator(':scope > li');
    await waitFor('two causes', async () => (await groups.count()) === 2, 30_000);
    assert.equal(await text('failure-group-count-1'), String(NO_CUSTOMER));
    assert.equal(await text('failure-group-count-2'), String(BAD_AMOUNT));
    assert.equal(await text('failure-title-1'), 'invoice <n> has no customer');
    assert.equal(await text('failure-title-2'), 'amount <str> is not a number');
    assert.match(await text('failure-group-1'), /at ChargeInvoice\.work \(charge-invoice\.js\)/);
    assert.match(await text('failure-group-2'), /at parseAmount \(charge-invoice\.js\)/);

    await page.getByTestId('failure-open-1').click();
    const rows = page.getByTestId('failure-tasks-1').locator('[data-testid^="failed-row-"]');
    await waitFor('the cause’s tasks', async () => (await rows.count()) === NO_CUSTOMER);
    const retried = (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace('failed-row-', '')))).sort();
    await rows
      .first()
      .getByRole('button', { name: /Details of task/ })
      .click();
    const firstId = (await rows.first().getAttribute('data-testid'))!.replace('failed-row-', '');
    assert.match(await text(`failed-error-${firstId}`), /Error: invoice 10\d\d has no customer\n\s+at ChargeInvoice\.work/);
    assert.match(await text(`failed-data-${firstId}`), /"amount": "19\.90"/);
    await docsScreenshot(page, 'failures-by-cause', 'failures');

    // The fix is deployed; retrying the cause's tasks brings them back, and this time they succeed.
    fs.writeFileSync(fixedFile, 'deployed');
    await page.getByTestId('failure-retry-all-1').click();
    await page.getByTestId('failure-retry-all-1-confirm').click();
    await shows('failures-message', `Retried ${NO_CUSTOMER} failed tasks`);
    await waitFor('one cause left', async () => (await groups.count()) === 1 && (await text('failure-title-1')) === 'amount <str> is not a number', 30_000);
    assert.equal(await text('failure-group-count-1'), String(BAD_AMOUNT));
    await waitFor('the retried tasks done', async () => (await count(`id = ANY($1::bigint[])`, [retried])) === 0, 30_000);
    assert.equal(await count(`type = 'charge-invoice' AND state = 'failed'`), BAD_AMOUNT, 'the other cause is untouched');

    await view('queue');
    await shows('queue-failed-charge-invoice', new RegExp(`^${BAD_AMOUNT}$`));
    // A retried task is finished: gone from the queue, with its trace on this drone.
    await page.getByTestId('lookup-input').fill(retried[0]);
    await page.getByTestId('lookup-submit').click();
    await shows('lookup-state', 'finished');
    await page.getByTestId('lookup-trace').click();
    await page.getByTestId('trace-id').filter({ hasText: retried[0] }).waitFor({ timeout: 20_000 });
  });

  it('Queue: a failed task looked up by id shows its error and data, and can be retried from there', async () => {
    const [id] = (await sql.query(`SELECT id FROM "${schema}".tasks WHERE type = 'charge-invoice' AND state = 'failed' ORDER BY id LIMIT 1`)).rows.map(
      (r) => r.id as string,
    );
    await view('queue');
    await page.getByTestId('lookup-input').fill(id);
    await page.getByTestId('lookup-submit').click();
    await shows('lookup-state', 'failed');
    assert.equal(await text('lookup-type'), 'charge-invoice');
    assert.equal(await text('lookup-attempts'), '1 of 1');
    assert.match(await text('lookup-error-text'), /TypeError: amount "12,50" is not a number\n\s+at parseAmount/);
    assert.match(await text('lookup-data'), /"invoice": 2070/);
    await screenshot(page, 'queue-lookup-failed');
    await page.getByTestId('lookup-retry').click();
    await shows('lookup-message', `Retried task ${id}`);
    // It fails again (its amount is still not a number), now on its second attempt.
    await waitFor(
      'the second attempt',
      async () => (await sql.query(`SELECT attempts FROM "${schema}".tasks WHERE id = $1 AND state = 'failed'`, [id])).rows[0]?.attempts === 2,
      30_000,
    );
    await shows('lookup-attempts', '2 of 2');
  });
});
