/**
 * The security decisions as wired to Electron's events, driven through fakes of a webContents and a
 * session that record what the app does (the Electron binary cannot run here).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { guardSession, guardWebContents } from '../../electron/guards.js';
import { APP_INDEX_URL } from '../../electron/window.js';

class FakeEvent {
  defaultPrevented = false;
  constructor(
    readonly url?: string,
    readonly isMainFrame?: boolean,
  ) {}
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

class FakeContents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' }): void {
    this.openHandler = h;
  }
  /** Emits like Electron: will-frame-navigate first, and will-navigate for the main frame unless prevented. */
  navigate(url: string, isMainFrame = true): boolean {
    const frame = new FakeEvent(url, isMainFrame);
    this.emit('will-frame-navigate', frame);
    if (frame.defaultPrevented) return false;
    if (!isMainFrame) return true;
    const main = new FakeEvent(url);
    this.emit('will-navigate', main, url);
    return !main.defaultPrevented;
  }
}

function setup() {
  const opened: string[] = [];
  const blocked: string[] = [];
  const contents = new FakeContents();
  guardWebContents(contents, { appIndexUrl: APP_INDEX_URL, openExternal: (url) => opened.push(url), onBlocked: (w) => blocked.push(w) });
  return { contents, opened, blocked };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('electron guards (fake webContents and session)', () => {
  it('lets the window (re)load only our own index', async () => {
    const { contents, opened } = setup();
    assert.equal(contents.navigate(APP_INDEX_URL), true);
    assert.equal(contents.navigate(`${APP_INDEX_URL}#/logs`), true);
    await tick();
    assert.deepEqual(opened, []);
  });

  it('denies navigation to http, https, other file:// paths and javascript:, in the main frame and in subframes', async () => {
    const { contents, opened, blocked } = setup();
    for (const url of [
      'http://example.com/',
      'https://example.com/',
      'file:///etc/passwd',
      APP_INDEX_URL.replace('index.html', 'x.html'),
      'javascript:alert(1)',
      'data:text/html,x',
    ]) {
      assert.equal(contents.navigate(url), false, url);
      assert.equal(contents.navigate(url, false), false, `subframe ${url}`);
    }
    // The UI has no iframes: a subframe may not load even our own index.
    assert.equal(contents.navigate(APP_INDEX_URL, false), false);
    await tick();
    // Only the main frame's https link went to the browser, once.
    assert.deepEqual(opened, ['https://example.com/']);
    assert.ok(blocked.some((b) => b.includes('file:///etc/passwd')));
  });

  it('still blocks when only will-navigate fires, without opening the browser twice', async () => {
    const { contents, opened } = setup();
    const e = new FakeEvent('https://example.com/');
    contents.emit('will-navigate', e, 'https://example.com/');
    assert.ok(e.defaultPrevented);
    const legacy = {
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
    };
    contents.emit('will-navigate', legacy, 'http://example.com/'); // the URL only as the second argument
    assert.ok(legacy.defaultPrevented);
    await tick();
    assert.deepEqual(opened, []);
  });

  it('blocks redirects', () => {
    const { contents } = setup();
    const e = new FakeEvent('https://example.com/');
    contents.emit('will-redirect', e);
    assert.ok(e.defaultPrevented);
  });

  it('denies every new window; openExternal only for https', async () => {
    const { contents, opened } = setup();
    assert.ok(contents.openHandler, 'a window-open handler is installed');
    for (const url of [
      'https://example.com/a',
      'http://example.com/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      APP_INDEX_URL,
      'about:blank',
      'smb://x/y',
    ]) {
      assert.deepEqual(contents.openHandler!({ url }), { action: 'deny' }, url);
    }
    await tick();
    assert.deepEqual(opened, ['https://example.com/a']);
  });

  it('reports, and survives, an openExternal that fails', async () => {
    const blocked: string[] = [];
    const contents = new FakeContents();
    guardWebContents(contents, { appIndexUrl: APP_INDEX_URL, openExternal: () => Promise.reject(new Error('no handler')), onBlocked: (w) => blocked.push(w) });
    contents.openHandler!({ url: 'https://example.com/' });
    await tick();
    await tick();
    assert.ok(
      blocked.some((b) => /could not open https:\/\/example\.com\/.*no handler/.test(b)),
      blocked.join('\n'),
    );
  });

  it('never attaches a <webview>', () => {
    const { contents } = setup();
    const e = new FakeEvent();
    contents.emit('will-attach-webview', e, {}, { src: 'https://example.com/' });
    assert.ok(e.defaultPrevented);
  });

  it('denies every permission request and check, and cancels network requests', () => {
    let request: ((wc: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
    let check: ((wc: unknown, p: string) => boolean) | null = null;
    let device: ((d: unknown) => boolean) | null = null;
    let filter: { urls: string[] } | null = null;
    let onRequest: ((d: { url: string }, cb: (r: { cancel?: boolean }) => void) => void) | null = null;
    guardSession({
      setPermissionRequestHandler: (h) => (request = h),
      setPermissionCheckHandler: (h) => (check = h),
      setDevicePermissionHandler: (h) => (device = h),
      webRequest: { onBeforeRequest: (f, l) => ((filter = f), (onRequest = l)) },
    });
    for (const p of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'pointerLock']) {
      let granted: boolean | null = null;
      request!(null, p, (g) => (granted = g));
      assert.equal(granted, false, p);
      assert.equal(check!(null, p), false, p);
    }
    assert.equal(device!({ deviceType: 'usb' }), false);
    assert.deepEqual(filter!.urls.sort(), ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*']);
    for (const url of ['https://cdn.example/x.js', 'ws://127.0.0.1:7420/api']) {
      let response: { cancel?: boolean } | null = null;
      onRequest!({ url }, (r) => (response = r));
      assert.deepEqual(response, { cancel: true }, url);
    }
  });
});
