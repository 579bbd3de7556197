/**
 * The preload: gives the page `window.swarmage` (the contract's Bridge) and nothing else. Runs
 * sandboxed, where `require` knows only 'electron', so scripts/build-preload.mjs bundles this file and
 * its (type-only, or tiny) imports into the single CommonJS script dist/electron/preload.cjs.
 *
 * ipcRenderer itself never crosses the bridge: the page gets two functions that can reach exactly two
 * channels, and the main process still checks every call's sender and arguments.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { Bridge, EventMessage, MethodName } from '../core/api/contract.js';
import { CHANNELS } from './ipc-channels.js';
import { invoke, on } from './ipc-renderer.js';

const bridge: Bridge = {
  invoke(method: MethodName, args?: unknown, profile?: string) {
    return invoke(ipcRenderer, CHANNELS.invoke, method, args, profile);
  },
  subscribe(listener: (msg: EventMessage) => void) {
    if (typeof listener !== 'function') throw new TypeError('swarmage.subscribe: expected a function');
    // Exactly one argument, the message: neither the IpcRendererEvent nor anything else sent along.
    return on(ipcRenderer, CHANNELS.event, (msg) => listener(msg));
  },
  // A config dropped on the window: its path, which the page itself is never told (Electron ≥ 32).
  pathForFile(file: File) {
    try {
      return webUtils.getPathForFile(file);
    } catch {
      return '';
    }
  },
};

contextBridge.exposeInMainWorld('swarmage', bridge);
