import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { testDatabaseUrl, freshSchema } from '../helpers/db.js';
import { startService } from '../helpers/service.js';
import { FIXTURES, waitFor } from '../helpers/tmp.js';
import { docsScreenshot, editorText, launchBrowser, screenshot } from '../helpers/browser.js';
import { startHost, type RunningHost } from '../../core/host/server.js';
import type { DroneService } from '../../core/service/droneService.js';

/** The JSON editors (CodeMirror) in a real Chromium, under the app's CSP, against a real drone. */
describe('the JSON editors (headless host, Chromium)', () => {
  let service: DroneService;
  let host: RunningHost;
  let browser: Browser;
  let page: Page;
  const complaints: string[] = [];

  before(async () => {
    const url = await testDatabaseUrl();
    ({ service } = await startService(url, freshSchema(), {
      workers: {
        factorial: { module: './workers/factorial.js' },
        greet: { module: path.join(FIXTURES, 'workers/greet.js') },
      },
    }));
    host = await startHost(service, { host: '127.0.0.1', port: 0 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    page.on('pageerror', (e) => complaints.push(String(e)));
    // Every CSP refusal, recorded by the page (an init script is not subject to the CSP).
    await page.addInitScript(() => {
      const g = globalThis as unknown as { cspViolations: string[]; addEventListener(n: string, f: (e: Record<string, unknown>) => void): void };
      g.cspViolations = [];
      g.addEventListener('securitypolicyviolation', (e) => g.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
    });
    await page.goto(host.loginUrl);
    await page.getByTestId('drone-state').filter({ hasText: 'running' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await host?.close();
    await service?.stop();
  });

  const view = async (name: string) => {
    await page.getByTestId(`nav-${name}`).click();
    await page.getByTestId(`view-${name}`).waitFor();
  };
  const options = () => page.locator('.cm-tooltip-autocomplete li');
  /** Puts the caret at the end of the line holding `text`. Clicked near its start: a line is as wide as the longest, and its middle may be scrolled to. */
  const endOfLine = async (text: string) => {
    await page.locator('.cm-line', { hasText: text }).click({ position: { x: 4, y: 4 } });
    await page.keyboard.press('End');
  };
  /** What the CSP refused so far, but zod's probe for eval (a try/catch that falls back to not compiling). */
  const refusals = async () =>
    ((await page.evaluate(() => (globalThis as unknown as { cspViolations: string[] }).cspViolations)) as string[]).filter((v) => !/^script-src eval /.test(v));

  it('config: loads and is styled under the strict CSP, with no violation', async () => {
    await view('config');
    const editor = page.getByTestId('config-editor');
    await waitFor('the config text', async () => (await editorText(editor)).includes('"workers"'));
    // CodeMirror's own stylesheet applied (a refused one leaves the gutter unstyled), in the theme's colours.
    const gutter = await page.locator('.cm-gutters').evaluate((el) => {
      const style = (globalThis as unknown as { getComputedStyle(e: unknown): { display: string; backgroundColor: string } }).getComputedStyle(el);
      return { display: style.display, background: style.backgroundColor };
    });
    assert.equal(gutter.display, 'flex');
    assert.notEqual(gutter.background, 'rgba(0, 0, 0, 0)', 'the themed gutter background');
    assert.ok(await page.locator('.cm-content .tok-propertyName, .cm-content span[class^="ͼ"]').count(), 'highlighted tokens');
    assert.deepEqual(await refusals(), []);
    assert.deepEqual(complaints, []);
  });

  it("config: the checker's problem is marked on its line, in the gutter and underlined at its column", async () => {
    const editor = page.getByTestId('config-editor');
    const original = await editorText(editor);
    const lines = original.split('\n');
    const at = lines.findIndex((l) => l.includes('"pollIntervalMs"'));
    assert.ok(at > 0, original);
    // A line of its own after pollIntervalMs: its number is where the marker must be.
    const bad = [...lines.slice(0, at + 1).map((l, i) => (i === at && !l.endsWith(',') ? `${l},` : l)), '  "maxPerWorker": "x",', ...lines.slice(at + 1)];
    await editor.fill(bad.join('\n').replace(/,(\s*})\s*$/, '$1'));
    const lineNo = at + 2;
    const mark = page.getByTestId(`gutter-mark-${lineNo}`);
    await mark.waitFor({ timeout: 10_000 });
    assert.match((await mark.getAttribute('title')) ?? '', /maxPerWorker/);
    assert.equal(await page.locator('[data-testid^="gutter-mark-"]').count(), 1, 'one marker only');
    // The checker points at the property: its key is underlined.
    assert.equal(await page.locator('.cm-lintRange-error').textContent(), '"maxPerWorker"');
    assert.equal(await page.locator('.cm-line', { has: page.locator('.cm-lintRange-error') }).textContent(), '  "maxPerWorker": "x",');
    // The problem list's link puts the caret on it.
    await page.getByTestId('config-issue').filter({ hasText: 'maxPerWorker' }).getByRole('button').click();
    // The caret's line, read through the shadow root the editor lives in.
    const caretLine = await page.evaluate(() => {
      type Node = { parentElement: { closest(s: string): { textContent: string } } };
      const doc = (globalThis as unknown as { document: { querySelector(s: string): { shadowRoot: { getSelection(): { anchorNode: Node } } } } }).document;
      return doc.querySelector('#config-editor').shadowRoot.getSelection().anchorNode.parentElement.closest('.cm-line').textContent;
    });
    assert.equal(caretLine, '  "maxPerWorker": "x",');
    await editor.fill(original);
    await mark.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('config: completion offers the keys the schema allows where the caret is, with their docs', async () => {
    // In a type's entry: the worker keys.
    await endOfLine('"module": "./workers/factorial.js"');
    await page.keyboard.type(', "pref');
    await page.keyboard.press('Control+Space');
    await options().filter({ hasText: 'prefetch' }).waitFor();
    assert.deepEqual(await options().allTextContents(), [(await options().first().textContent())!]);
    assert.match((await page.locator('.cm-completionInfo').textContent()) ?? '', /handed to one instance ahead of time/);
    // A click: Enter is ignored for CodeMirror's interaction delay (75 ms) after the list changes.
    await options().filter({ hasText: 'prefetch' }).click();
    await page.keyboard.type('4');
    assert.match(await editorText(page.getByTestId('config-editor')), /"module": "\.\/workers\/factorial\.js", "prefetch": 4/);
    // At the top level: maxPerWorker, described, and not the keys already there.
    await endOfLine('"pollIntervalMs"');
    await page.keyboard.press('Enter');
    await page.keyboard.type('"max');
    await page.keyboard.press('Control+Space');
    await options().filter({ hasText: 'maxPerWorker' }).waitFor();
    const labels = await page.locator('.cm-tooltip-autocomplete .cm-completionLabel').allTextContents();
    assert.ok(!labels.includes('workers'), labels.join());
    await page.locator('.cm-completionInfo').filter({ hasText: 'Capacity per worker instance' }).waitFor();
    await docsScreenshot(page, 'config-editor-completion', 'config-editor');
    // The dark scheme: the editor follows the app's colour variables.
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'config-editor-completion-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.keyboard.press('Escape');
    // Hover docs: over a key, its type and description.
    await page.locator('.cm-line span', { hasText: '"pollIntervalMs"' }).hover();
    assert.equal(await page.locator('.cm-schema-doc').textContent(), 'pollIntervalMsinteger, default 2000');
  });

  it("enqueue: completion offers the keys and values of the worker's payload schema", async () => {
    await view('enqueue');
    await page.getByTestId('enqueue-type').fill('greet');
    const editor = page.getByTestId('enqueue-data');
    await editor.fill('{\n  \n}');
    await page.locator('.cm-line').nth(1).click();
    await page.keyboard.type('"');
    await page.keyboard.press('Control+Space');
    await options().filter({ hasText: 'name' }).waitFor({ timeout: 10_000 });
    assert.deepEqual((await page.locator('.cm-tooltip-autocomplete .cm-completionLabel').allTextContents()).sort(), ['lang', 'name', 'shout']);
    await options().filter({ hasText: 'lang' }).click();
    await page.keyboard.press('Control+Space');
    await options().filter({ hasText: '"fr"' }).click();
    assert.equal((await editorText(editor)).replace(/\s+/g, ''), '{"lang":"fr"}');
    // Typing over a selection of several lines replaces it, and only it (CodeMirror applies it, not Chromium's editing).
    await editor.fill('{\n  "name": "Ada",\n  "shout": true\n}');
    await page
      .locator('.cm-line')
      .nth(1)
      .click({ position: { x: 4, y: 4 } });
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.type('x');
    assert.equal(await editorText(editor), '{\nx  "shout": true\n}');
    assert.deepEqual(await refusals(), []);
    assert.deepEqual(complaints, []);
  });
});
