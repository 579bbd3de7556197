import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { freshSchema, testDatabaseUrl, testEmbedded } from '../helpers/db.js';
import { demoDroneDir } from '../helpers/demo.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { startHost, type RunningHost } from '../../core/host/server.js';
import { DroneService } from '../../core/service/droneService.js';

/**
 * A drone on the embedded Postgres is marked as such in the UI, one on a URL is not, and one whose
 * config forbids the embedded server shows why it did not start: real drones, the headless host and
 * Debian's Chromium.
 */
describe('the UI says which database a drone uses (headless host, Chromium)', () => {
  const saved = { url: process.env.SWARMAGE_DATABASE_URL, require: process.env.SWARMAGE_REQUIRE_DATABASE_URL };
  const services: DroneService[] = [];
  const hosts: RunningHost[] = [];
  let browser: Browser;

  /** A drone service on the demo workers whose queue.config is `queue`, served by a host of its own; `started` is its start's outcome. */
  async function drone(queue: Record<string, unknown>): Promise<{ service: DroneService; host: RunningHost; started: Promise<void> }> {
    const { file } = demoDroneDir('', '', 'swarmage.config.json', { extra: { queue: { config: queue } } });
    const service = new DroneService({ configFile: file, logToStderr: Boolean(process.env.TEST_LOG) });
    services.push(service);
    const started = service.start();
    started.catch(() => {});
    const host = await startHost(service, { host: '127.0.0.1', port: 0 });
    hosts.push(host);
    return { service, host, started };
  }

  async function open(host: RunningHost): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(host.loginUrl);
    assert.deepEqual(problems, []);
    return page;
  }

  before(async () => {
    // The embedded server is the fallback only when no URL is in the environment.
    delete process.env.SWARMAGE_DATABASE_URL;
    delete process.env.SWARMAGE_REQUIRE_DATABASE_URL;
    await testDatabaseUrl();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    for (const h of hosts) await h.close();
    for (const s of services) await s.stop();
    if (saved.url !== undefined) process.env.SWARMAGE_DATABASE_URL = saved.url;
    if (saved.require !== undefined) process.env.SWARMAGE_REQUIRE_DATABASE_URL = saved.require;
  });

  it('a drone on the embedded Postgres: a badge in the header and on the drone card, with what it means', async () => {
    // The tests' own embedded server, named by queue.config.embedded: what a first run on a workstation gets.
    const { service, host, started } = await drone({ schema: freshSchema(), embedded: testEmbedded() });
    await started;
    assert.equal(service.snapshot().drone?.database.source, 'embedded');
    const page = await open(host);
    await page.getByTestId('drone-state').filter({ hasText: 'running' }).waitFor();
    const badge = page.getByTestId('header-embedded-db');
    await badge.waitFor();
    assert.equal((await badge.textContent())?.trim(), 'embedded database');
    const tooltip = (await badge.getAttribute('title')) ?? '';
    assert.match(tooltip, /drones on other machines cannot share it/);
    assert.match(tooltip, /queue\.config\.connectionString \(or SWARMAGE_DATABASE_URL\)/);
    assert.ok(await page.getByTestId('db-embedded').isVisible(), 'on the drone card too');
    await screenshot(page, 'embedded-database-badge');
    await page.close();
  });

  it('a drone on a URL: no badge', async () => {
    const { service, host, started } = await drone({ schema: freshSchema(), connectionString: await testDatabaseUrl() });
    await started;
    assert.equal(service.snapshot().drone?.database.source, 'config');
    const page = await open(host);
    await page.getByTestId('drone-state').filter({ hasText: 'running' }).waitFor();
    await page.getByTestId('db-state').filter({ hasText: 'connected' }).waitFor();
    assert.equal(await page.getByTestId('header-embedded-db').count(), 0);
    assert.equal(await page.getByTestId('db-embedded').count(), 0);
    await page.close();
  });

  it('a config with "embedded": false and no URL: the drone does not start, and the UI says why', async () => {
    const { host, started } = await drone({ schema: freshSchema(), embedded: false });
    await assert.rejects(
      started,
      /^DatabaseRequiredError: no database URL: set SWARMAGE_DATABASE_URL or queue\.config\.connectionString in \/\S+; the embedded Postgres is disabled by queue\.config\.embedded=false in /,
    );
    const page = await open(host);
    const banner = page.getByTestId('app-error');
    await banner.waitFor();
    assert.match(
      (await banner.textContent()) ?? '',
      /The drone is not running\. no database URL: set SWARMAGE_DATABASE_URL or queue\.config\.connectionString in .*queue\.config\.embedded=false in /,
    );
    assert.equal(await page.getByTestId('header-embedded-db').count(), 0);
    await page.close();
  });
});
