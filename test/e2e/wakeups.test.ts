import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { freshSchema, testDatabaseUrl } from '../helpers/db.js';
import { demoDroneDir } from '../helpers/demo.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { pgBouncerPath, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { waitFor } from '../helpers/tmp.js';
import { startHost, type RunningHost } from '../../core/host/server.js';
import { DroneService } from '../../core/service/droneService.js';

const missing = pgBouncerPath() === null && !process.env.CI ? 'pgbouncer is not installed (apt-get install -y pgbouncer)' : false;

/**
 * Behind a pooler in transaction mode a drone's notifications do not arrive: the drone card says so
 * with the fix, and the Fleet view shows each drone's wake-up mode. Real drones through a real
 * PgBouncer, the headless host, Debian's Chromium.
 */
describe('the UI shows how a drone learns of new tasks (PgBouncer, headless host, Chromium)', { skip: missing }, () => {
  const services: DroneService[] = [];
  const hosts: RunningHost[] = [];
  let bouncer: PgBouncer;
  let browser: Browser;
  let direct: string;

  async function drone(schema: string, queue: Record<string, unknown>): Promise<{ service: DroneService; page: Page }> {
    const { file: withQueue } = demoDroneDir(bouncer.url, schema, 'swarmage.config.json', {
      // The default poll, so that the fallback's 250 ms is what shows.
      extra: { queue: { config: { connectionString: bouncer.url, schema, ...queue } }, pollIntervalMs: 2000 },
    });
    const service = new DroneService({ configFile: withQueue, logToStderr: Boolean(process.env.TEST_LOG) });
    services.push(service);
    await service.start();
    const host = await startHost(service, { host: '127.0.0.1', port: 0 });
    hosts.push(host);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(host.loginUrl);
    return { service, page };
  }

  before(async () => {
    direct = await testDatabaseUrl();
    bouncer = await startPgBouncer(direct, 'transaction', 2);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    for (const h of hosts) await h.close();
    for (const s of services) await s.stop();
    await bouncer?.stop();
  });

  it('without a listen connection: "poll every 250 ms" with the fix; with one: notify; the Fleet view shows both', async () => {
    const schema = freshSchema();
    const polling = await drone(schema, {});
    const listening = await drone(schema, { listenConnectionString: direct });
    await waitFor('the first drone to find that notifications do not arrive', () => polling.service.snapshot().drone?.wakeups?.state === 'poll');
    await waitFor('the second to see its own', () => listening.service.snapshot().drone?.wakeups?.state === 'notify');

    const state = polling.page.getByTestId('wakeups-state');
    await state.filter({ hasText: 'poll every 250 ms' }).waitFor();
    assert.equal((await state.textContent())?.trim(), 'poll every 250 ms');
    assert.equal(await state.getAttribute('title'), 'poll every 250 ms (notifications do not arrive: a pooler in transaction mode?)');
    assert.match((await polling.page.getByTestId('wakeups-fix').textContent()) ?? '', /SWARMAGE_LISTEN_DATABASE_URL or queue\.config\.listenConnectionString/);
    await screenshot(polling.page, 'wakeups-poll');

    await listening.page.getByTestId('wakeups-state').filter({ hasText: 'notify' }).waitFor();
    assert.equal((await listening.page.getByTestId('wakeups-direct').textContent())?.trim(), 'over a direct listen connection');
    assert.equal(await listening.page.getByTestId('wakeups-fix').count(), 0, 'no fix to offer');

    // The heartbeat carries the mode to the drones table: every UI's Fleet view shows every drone's.
    const idOf = (s: DroneService) => s.snapshot().drone!.id;
    await listening.page.getByTestId('nav-fleet').click();
    const cell = (id: string) => listening.page.getByTestId(`fleet-wakeups-${id}`);
    await waitFor(
      'both modes in the Fleet view',
      async () =>
        /^poll/.test(
          (await cell(idOf(polling.service))
            .textContent()
            .catch(() => '')) ?? '',
        ) &&
        (await cell(idOf(listening.service))
          .textContent()
          .catch(() => '')) === 'notify (direct listen connection)',
      30_000,
    );
    await screenshot(listening.page, 'wakeups-fleet');
  });
});
