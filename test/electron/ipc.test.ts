/**
 * registerApi with a fake ipcMain and window (only the Electron binary is faked) and a service whose
 * dispatch is the REAL contract dispatcher over recording handlers.
 */
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { METHOD_NAMES, type EventMessage, type Handlers } from '../../core/api/contract.js';
import { createDispatcher, type Dispatch } from '../../core/api/dispatcher.js';
import { CHANNELS, type InvokeResult } from '../../electron/ipc-channels.js';
import type { InvokeEventLike, SenderFrameLike } from '../../electron/ipc-main.js';
import { registerApi, type IpcService } from '../../electron/ipc.js';
import { APP_INDEX_URL } from '../../electron/window.js';

class FakeIpcMain {
  readonly handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void {
    assert.ok(!this.handlers.has(channel), `a second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What ipcRenderer.invoke(channel, ...args) from `frame` would get. */
  async invoke(frame: SenderFrameLike | null, channel: string, ...args: unknown[]): Promise<InvokeResult> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return (await h({ senderFrame: frame }, ...args)) as InvokeResult;
  }
}

class FakeWebContents {
  readonly sent: Array<[string, ...unknown[]]> = [];
  destroyed = false;
  constructor(public url: string) {}
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getURL(): string {
    return this.url;
  }
}

class FakeWindow {
  destroyed = false;
  constructor(readonly webContents: FakeWebContents) {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

const mainFrame = (url: string): SenderFrameLike => ({ url, parent: null });
const subFrame = (url: string): SenderFrameLike => ({ url, parent: mainFrame(APP_INDEX_URL) });

describe('registerApi (fake ipcMain, real dispatcher)', () => {
  let ipcMain: FakeIpcMain;
  let calls: Array<[string, unknown]>;
  let dispatched: number;
  let service: IpcService & EventEmitter;
  let win: FakeWindow | null;
  let refused: string[];
  let unregister: () => void;

  beforeEach(() => {
    ipcMain = new FakeIpcMain();
    calls = [];
    dispatched = 0;
    const handlers = Object.fromEntries(
      METHOD_NAMES.map((m) => [
        m,
        async (args: unknown) => {
          calls.push([m, args]);
          if (m === 'drone.pause') throw new Error('the drone is not running (error)');
          return { from: m };
        },
      ]),
    ) as unknown as Handlers;
    const real = createDispatcher(handlers);
    const dispatch: Dispatch = (method, args) => {
      dispatched++;
      return real(method, args);
    };
    service = Object.assign(new EventEmitter(), { dispatch }) as IpcService & EventEmitter;
    win = new FakeWindow(new FakeWebContents(APP_INDEX_URL));
    refused = [];
    unregister = registerApi(ipcMain, service, () => win, { onUnauthorized: (from) => refused.push(from) });
  });

  it('registers one handler, on the invoke channel', () => {
    assert.deepEqual([...ipcMain.handlers.keys()], [CHANNELS.invoke]);
  });

  it('answers a call from our window with the handler result, arguments parsed by the contract', async () => {
    const out = await ipcMain.invoke(mainFrame(APP_INDEX_URL), CHANNELS.invoke, 'tasks.enqueue', { type: 'factorial', data: 5 });
    assert.deepEqual(out, { ok: true, result: { from: 'tasks.enqueue' } });
    assert.deepEqual(calls, [['tasks.enqueue', { type: 'factorial', data: 5, count: 1 }]], 'the default count filled in by zod');
    const hashed = await ipcMain.invoke(mainFrame(`${APP_INDEX_URL}#/logs`), CHANNELS.invoke, 'drone.snapshot');
    assert.equal(hashed.ok, true);
  });

  it('refuses untrusted senders with "unauthorized", before dispatch', async () => {
    const untrusted: Array<[string, SenderFrameLike | null]> = [
      ['another site', mainFrame('https://evil.example/')],
      ['the headless host page (http://)', mainFrame('http://127.0.0.1:7420/')],
      ['another local file', mainFrame('file:///tmp/index.html')],
      ['a sibling page of ours', mainFrame(APP_INDEX_URL.replace('index.html', 'other.html'))],
      ['a subframe of our own URL', subFrame(APP_INDEX_URL)],
      ['a subframe elsewhere', subFrame('https://evil.example/frame')],
      ['a frame that is gone', null],
      [
        'a disposed frame',
        {
          get url(): string {
            throw new Error('Render frame was disposed');
          },
          parent: null,
        },
      ],
    ];
    for (const [what, frame] of untrusted) {
      const out = await ipcMain.invoke(frame, CHANNELS.invoke, 'tasks.enqueue', { type: 'factorial', data: 5 });
      assert.equal(out.ok, false, what);
      assert.equal(!out.ok && out.error.code, 'unauthorized', what);
    }
    assert.equal(dispatched, 0, 'never reached dispatch');
    assert.deepEqual(calls, []);
    assert.equal(refused.length, untrusted.length);
    assert.ok(refused.some((r) => r.includes('(a subframe)')));
  });

  it('rejects bad arguments with invalid_args naming the field, without calling the handler', async () => {
    const out = await ipcMain.invoke(mainFrame(APP_INDEX_URL), CHANNELS.invoke, 'tasks.enqueue', { type: '', count: 0, extra: 1 });
    assert.equal(out.ok, false);
    assert.ok(!out.ok);
    assert.equal(out.error.code, 'invalid_args');
    const paths = (out.error.issues ?? []).map((i) => i.path);
    assert.ok(paths.includes('type'), paths.join(','));
    assert.ok(paths.includes('count'), paths.join(','));
    assert.match(out.error.message, /^tasks\.enqueue: /);

    const bad = await ipcMain.invoke(mainFrame(APP_INDEX_URL), CHANNELS.invoke, 'failed.list', { limit: 'ten' });
    assert.ok(!bad.ok && bad.error.code === 'invalid_args' && bad.error.issues?.some((i) => i.path === 'limit'));
    const unknown = await ipcMain.invoke(mainFrame(APP_INDEX_URL), CHANNELS.invoke, 'process.exit', {});
    assert.ok(!unknown.ok && unknown.error.code === 'unknown_method');
    const notAString = await ipcMain.invoke(mainFrame(APP_INDEX_URL), CHANNELS.invoke, { toString: 1 }, {});
    assert.ok(!notAString.ok && notAString.error.code === 'unknown_method');
    assert.deepEqual(calls, []);
  });

  it('a failing handler becomes an error answer, not a rejected invoke', async () => {
    const out = await ipcMain.invoke(mainFrame(APP_INDEX_URL), CHANNELS.invoke, 'drone.pause', {});
    assert.deepEqual(out, { ok: false, error: { code: 'failed', message: 'the drone is not running (error)' } });
  });

  it('a dispatch that throws (a bug) still answers', async () => {
    const broken = Object.assign(new EventEmitter(), {
      dispatch: (() => {
        throw new Error('boom');
      }) as unknown as Dispatch,
    });
    const ipc = new FakeIpcMain();
    registerApi(ipc, broken as IpcService & EventEmitter, () => null);
    assert.deepEqual(await ipc.invoke(mainFrame(APP_INDEX_URL), CHANNELS.invoke, 'drone.snapshot', {}), {
      ok: false,
      error: { code: 'failed', message: 'boom' },
    });
  });

  it('forwards service events to our window on the event channel', () => {
    const msg: EventMessage = { event: 'logs', data: [{ seq: 1 }] };
    service.emit('event', msg);
    assert.deepEqual(win!.webContents.sent, [[CHANNELS.event, msg]]);
  });

  it('sends nothing when there is no window, it is gone, or it shows another page', () => {
    const msg: EventMessage = { event: 'snapshot', data: {} };
    const contents = win!.webContents;
    win = null;
    service.emit('event', msg);
    win = new FakeWindow(contents);
    win.destroyed = true;
    service.emit('event', msg);
    win = new FakeWindow(contents);
    contents.destroyed = true;
    service.emit('event', msg);
    contents.destroyed = false;
    contents.url = 'https://evil.example/';
    service.emit('event', msg);
    assert.deepEqual(contents.sent, []);
    contents.url = APP_INDEX_URL;
    service.emit('event', msg);
    assert.equal(contents.sent.length, 1);
  });

  it('unregistering removes the handler and stops the forwarding', async () => {
    unregister();
    assert.equal(ipcMain.handlers.size, 0);
    assert.equal(service.listenerCount('event'), 0);
    service.emit('event', { event: 'logs', data: [] });
    assert.deepEqual(win!.webContents.sent, []);
  });
});
