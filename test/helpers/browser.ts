import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium (installed by .ci/run with apt); Playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run "apt-get install -y chromium" (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Screenshots land in test-results/ (kept by CI as evidence) with the test's name. */
export const SHOTS = path.resolve(import.meta.dirname, '../../../test-results');

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** The README's pictures: refreshed on demand only (SWARMAGE_DOCS_SHOTS=1), so a test run leaves the tree clean. */
export const DOCS_SHOTS = path.resolve(import.meta.dirname, '../../../docs/screenshots');

/** A screenshot in test-results/ that, when asked, also becomes docs/screenshots/<docsName>.png. */
export async function docsScreenshot(page: Page, name: string, docsName: string): Promise<string> {
  const file = await screenshot(page, name);
  if (process.env.SWARMAGE_DOCS_SHOTS) fs.copyFileSync(file, path.join(DOCS_SHOTS, `${docsName}.png`));
  return file;
}

/** The little of the page's DOM the helpers touch (this project's lib has no DOM types). */
export interface PageNode {
  textContent: string | null;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
}

/**
 * The text of a CodeMirror editor, given its content element (the one carrying the editor's
 * data-testid). CodeMirror draws only the lines near the viewport, so this is for texts of a few
 * hundred lines, as the tests' are.
 */
export function editorText(content: Locator): Promise<string> {
  return content.evaluate((el) => Array.from((el as unknown as PageNode).querySelectorAll('.cm-line'), (line) => line.textContent ?? '').join('\n'));
}
