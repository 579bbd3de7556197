import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { BrowserWindowConstructorOptions } from 'electron';
import { APP_INDEX_URL, createMainWindow, PRELOAD_PATH, RENDERER_INDEX, WEB_PREFERENCES } from '../../electron/window.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** Records what the app does with its BrowserWindow. */
class FakeWindow {
  static created: FakeWindow[] = [];
  readonly calls: Array<[string, ...unknown[]]> = [];
  private readyListener: (() => void) | null = null;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    FakeWindow.created.push(this);
  }
  loadFile(file: string): Promise<void> {
    this.calls.push(['loadFile', file]);
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.calls.push(['loadURL', url]);
    return Promise.resolve();
  }
  once(event: 'ready-to-show', listener: () => void): this {
    this.calls.push(['once', event]);
    this.readyListener = listener;
    return this;
  }
  show(): void {
    this.calls.push(['show']);
  }
  ready(): void {
    this.readyListener?.();
  }
}

describe('the window (fake BrowserWindow)', () => {
  it('webPreferences: context isolation and sandbox on, Node integration off everywhere, web security on, no insecure content, no webview', () => {
    assert.equal(WEB_PREFERENCES.contextIsolation, true);
    assert.equal(WEB_PREFERENCES.sandbox, true);
    assert.equal(WEB_PREFERENCES.nodeIntegration, false);
    assert.equal(WEB_PREFERENCES.nodeIntegrationInWorker, false);
    assert.equal(WEB_PREFERENCES.nodeIntegrationInSubFrames, false);
    assert.equal(WEB_PREFERENCES.webSecurity, true);
    assert.equal(WEB_PREFERENCES.allowRunningInsecureContent, false);
    assert.equal(WEB_PREFERENCES.webviewTag, false);
    assert.equal(WEB_PREFERENCES.spellcheck, false);
    assert.ok(Object.isFrozen(WEB_PREFERENCES), 'frozen: nothing can loosen it at run time');
    // Options that would switch protections off must not appear at all.
    for (const key of ['experimentalFeatures', 'enableBlinkFeatures', 'additionalArguments', 'allowDisplayingInsecureContent']) {
      assert.equal(key in WEB_PREFERENCES, false, key);
    }
  });

  it('the preload is the bundled CommonJS script next to the compiled main process', () => {
    assert.equal(WEB_PREFERENCES.preload, PRELOAD_PATH);
    assert.ok(path.isAbsolute(PRELOAD_PATH));
    assert.equal(PRELOAD_PATH, path.join(ROOT, 'dist', 'electron', 'preload.cjs'));
  });

  it('creates the window with exactly those preferences and loads only our own index, swarmage://app/index.html', async () => {
    FakeWindow.created = [];
    const win = createMainWindow(FakeWindow);
    assert.equal(FakeWindow.created.length, 1);
    assert.deepEqual(win.options.webPreferences, { ...WEB_PREFERENCES });
    assert.equal(win.options.show, false, 'hidden until the first paint');

    const loads = win.calls.filter(([c]) => c === 'loadFile' || c === 'loadURL');
    assert.deepEqual(loads, [['loadURL', 'swarmage://app/index.html']], 'one load, of our own scheme: never file://, never a remote page');
    assert.equal(APP_INDEX_URL, 'swarmage://app/index.html');
    assert.equal(RENDERER_INDEX, path.join(ROOT, 'dist', 'ui', 'index.html'));

    assert.ok(!win.calls.some(([c]) => c === 'show'));
    win.ready();
    assert.ok(
      win.calls.some(([c]) => c === 'show'),
      'shown on ready-to-show',
    );
  });

  it('reports a failed load (the renderer not built) instead of throwing', async () => {
    class Failing extends FakeWindow {
      override loadURL(url: string): Promise<void> {
        super.loadURL(url);
        return Promise.reject(new Error('ERR_FILE_NOT_FOUND'));
      }
    }
    const errors: unknown[] = [];
    createMainWindow(Failing, (err) => errors.push(err));
    await new Promise((r) => setImmediate(r));
    assert.match(String(errors[0]), /ERR_FILE_NOT_FOUND/);
  });

  it('no other file creates a window or loads a URL', async () => {
    const fs = await import('node:fs');
    const dir = path.join(ROOT, 'electron');
    assert.match(fs.readFileSync(path.join(dir, 'main.ts'), 'utf8'), /createMainWindow\(BrowserWindow/);
    for (const file of fs.readdirSync(dir)) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      assert.doesNotMatch(text, /\.loadFile\(/, `${file} must not load a file:// page`);
      if (file !== 'window.ts') assert.doesNotMatch(text, /\.loadURL\(/, `${file}: only the window loads, and only our index`);
      if (file !== 'window.ts') assert.doesNotMatch(text, /\bnew BrowserWindow\(/, `${file}: windows only via createMainWindow`);
    }
  });
});
