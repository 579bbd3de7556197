/**
 * The shipped preload (dist/electron/preload.cjs, bundled by scripts/build-preload.mjs) run the way
 * Electron runs a sandboxed preload: one CommonJS script whose `require` knows 'electron' only. Here
 * that 'electron' is a recorder of contextBridge and ipcRenderer.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type { Bridge, EventMessage } from '../../core/api/contract.js';
import { CHANNELS } from '../../electron/ipc-channels.js';
import { PRELOAD_PATH } from '../../electron/window.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

type Listener = (event: unknown, ...args: unknown[]) => void;

/** A fake 'electron' for one run of the preload. */
function fakeElectron() {
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, Set<Listener>>();
  const invoked: Array<{ channel: string; args: unknown[] }> = [];
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      invoked.push({ channel, args });
      return { ok: true, result: 'answer' };
    },
    on(channel: string, l: Listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(l);
      return ipcRenderer;
    },
    removeListener(channel: string, l: Listener) {
      listeners.get(channel)?.delete(l);
      return ipcRenderer;
    },
    send() {
      throw new Error('the preload must not use send');
    },
    sendSync() {
      throw new Error('the preload must not use sendSync');
    },
  };
  const contextBridge = {
    exposeInMainWorld(key: string, api: unknown) {
      exposed.set(key, api);
    },
  };
  /** Pushes like webContents.send: the IpcRendererEvent first (whose `sender` is ipcRenderer itself). */
  const push = (channel: string, ...args: unknown[]) => {
    const event = { sender: ipcRenderer, senderId: 0, ports: [] };
    for (const l of listeners.get(channel) ?? []) l(event, ...args);
  };
  return { module: { contextBridge, ipcRenderer }, ipcRenderer, exposed, listeners, invoked, push };
}

/** Runs the script as Electron's sandboxed preload does: a function of require, module, exports. */
function runPreload(code: string, electron: ReturnType<typeof fakeElectron>) {
  const required: string[] = [];
  const sandboxRequire = (id: string) => {
    required.push(id);
    if (id === 'electron') return electron.module;
    throw new Error(`a sandboxed preload cannot require ${JSON.stringify(id)}`);
  };
  const module = { exports: {} };
  const fn = vm.runInNewContext(`(function (require, module, exports) {\n${code}\n})`, {}, { filename: PRELOAD_PATH });
  fn(sandboxRequire, module, module.exports);
  return required;
}

describe('the preload (fake electron module)', () => {
  let code = '';
  before(async () => {
    // Built from the current source, exactly as `npm run build` does.
    const { buildPreload } = await import(pathToFileURL(path.join(ROOT, 'scripts', 'build-preload.mjs')).href);
    assert.equal(await buildPreload(), PRELOAD_PATH);
    code = fs.readFileSync(PRELOAD_PATH, 'utf8');
  });

  it('is one self-contained CommonJS script that requires nothing but electron', () => {
    assert.doesNotMatch(code, /^\s*(import|export)\s/m, 'no ES module syntax');
    const electron = fakeElectron();
    const required = runPreload(code, electron);
    assert.deepEqual([...new Set(required)], ['electron']);
  });

  it('exposes exactly one key, swarmage, with exactly invoke, subscribe and pathForFile', () => {
    const electron = fakeElectron();
    runPreload(code, electron);
    assert.deepEqual([...electron.exposed.keys()], ['swarmage']);
    const api = electron.exposed.get('swarmage') as Record<string, unknown>;
    assert.deepEqual(Object.keys(api).sort(), ['invoke', 'pathForFile', 'subscribe']);
    assert.equal(typeof api.invoke, 'function');
    assert.equal(typeof api.subscribe, 'function');
  });

  it('invoke goes to the invoke channel with (method, args, profile) and returns the answer', async () => {
    const electron = fakeElectron();
    runPreload(code, electron);
    const api = electron.exposed.get('swarmage') as Bridge;
    assert.deepEqual(await api.invoke('tasks.enqueue', { type: 'factorial', data: 5 }), { ok: true, result: 'answer' });
    // The profile the call is for goes along (undefined: the first profile).
    assert.deepEqual(electron.invoked, [{ channel: CHANNELS.invoke, args: ['tasks.enqueue', { type: 'factorial', data: 5 }, undefined] }]);
  });

  it('subscribe hands the listener only the message, never the IpcRendererEvent; unsubscribe removes the listener', () => {
    const electron = fakeElectron();
    runPreload(code, electron);
    const api = electron.exposed.get('swarmage') as Bridge;
    const got: unknown[][] = [];
    const unsubscribe = api.subscribe((...args: unknown[]) => got.push(args));
    assert.equal(electron.listeners.get(CHANNELS.event)?.size, 1);

    const msg: EventMessage = { event: 'logs', data: [] };
    electron.push(CHANNELS.event, msg, 'anything else sent along');
    assert.deepEqual(got, [[msg]], 'exactly one argument, the message');

    assert.equal(typeof unsubscribe, 'function');
    unsubscribe();
    assert.equal(electron.listeners.get(CHANNELS.event)?.size ?? 0, 0);
    electron.push(CHANNELS.event, msg);
    assert.equal(got.length, 1, 'nothing after unsubscribe');
    assert.throws(() => api.subscribe(42 as never), /expected a function/);
  });

  it('ipcRenderer is not reachable from the exposed object', async () => {
    const electron = fakeElectron();
    runPreload(code, electron);
    const api = electron.exposed.get('swarmage') as Bridge;
    const seen = new Set<unknown>();
    const found: string[] = [];
    // Everything the page could walk to: own properties, prototypes, return values of the functions.
    const walk = (value: unknown, where: string, depth: number) => {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value) || depth > 6) return;
      seen.add(value);
      if (value === electron.ipcRenderer || value === electron.module || value === electron.module.contextBridge) found.push(where);
      for (const key of Reflect.ownKeys(value)) {
        const desc = Object.getOwnPropertyDescriptor(value, key);
        if (desc && 'value' in desc) walk(desc.value, `${where}.${String(key)}`, depth + 1);
      }
      walk(Object.getPrototypeOf(value), `${where}.__proto__`, depth + 1);
    };
    walk(api, 'swarmage', 0);
    walk(await api.invoke('drone.snapshot', {}), 'invoke()', 0);
    walk(
      api.subscribe(() => {}),
      'subscribe()',
      0,
    );
    const heard: unknown[] = [];
    api.subscribe((m) => heard.push(m));
    electron.push(CHANNELS.event, { event: 'logs', data: [] });
    walk(heard, 'listener args', 0);
    assert.deepEqual(found, []);
    assert.doesNotMatch(code, /exposeInMainWorld\([^)]*ipcRenderer/);
  });
});
