/**
 * Every IPC channel between the main process and the preload, with the types that travel on it.
 * This is the only file that spells a channel name: everything else says CHANNELS.invoke, and goes
 * through the typed wrappers in ipc-main.ts and ipc-renderer.ts, so a channel cannot be sent or
 * handled with the wrong shape.
 *
 * Only type imports from the contract: this module is bundled into the sandboxed preload, which can
 * require nothing but 'electron' at run time.
 */
import type { Bridge, EventMessage, MethodName } from '../core/api/contract.js';

export const CHANNELS = {
  /** Renderer → main, answered: one call of the API contract. */
  invoke: 'swarmage:invoke',
  /** Main → renderer, pushed: the service's event stream (snapshots, log batches). */
  event: 'swarmage:event',
} as const;

/** What one API call answers: the contract's Response without the id (ipcRenderer.invoke pairs calls itself). */
export type InvokeResult = Awaited<ReturnType<Bridge['invoke']>>;

/** Renderer → main channels (ipcRenderer.invoke / ipcMain.handle): the arguments the renderer sends, and the answer. */
export interface RequestChannels {
  [CHANNELS.invoke]: (method: MethodName, args?: unknown, profile?: string) => Promise<InvokeResult>;
}

/** Main → renderer channels (webContents.send / ipcRenderer.on): the arguments pushed. */
export interface PushChannels {
  [CHANNELS.event]: (msg: EventMessage) => void;
}

export type RequestChannel = keyof RequestChannels;
export type PushChannel = keyof PushChannels;
