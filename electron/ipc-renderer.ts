/**
 * The preload's only way to use IPC: invoke a request channel, listen on a push channel. Typed by the
 * map in ipc-channels.ts. Bundled into the sandboxed preload, so no run-time imports.
 */
import type { PushChannel, PushChannels, RequestChannel, RequestChannels } from './ipc-channels.js';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (...args: unknown[]) => void): unknown;
}

export function invoke<C extends RequestChannel>(
  ipcRenderer: IpcRendererLike,
  channel: C,
  ...args: Parameters<RequestChannels[C]>
): ReturnType<RequestChannels[C]> {
  return ipcRenderer.invoke(channel, ...args) as ReturnType<RequestChannels[C]>;
}

/**
 * Listens on a push channel; the listener gets the channel's arguments and never the IpcRendererEvent
 * (which would hand the page `event.sender`, i.e. ipcRenderer itself). Returns the unsubscribe.
 */
export function on<C extends PushChannel>(ipcRenderer: IpcRendererLike, channel: C, listener: (...args: Parameters<PushChannels[C]>) => void): () => void {
  const wrapped = (_event: unknown, ...args: unknown[]) => listener(...(args as Parameters<PushChannels[C]>));
  ipcRenderer.on(channel, wrapped);
  return () => {
    ipcRenderer.removeListener(channel, wrapped);
  };
}
