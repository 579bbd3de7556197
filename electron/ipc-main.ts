/**
 * The main process's only way to use IPC: handle a request channel, send on a push channel. Typed by
 * the map in ipc-channels.ts. The Electron objects are described structurally (no run-time
 * 'electron' import), so the real ipcMain / webContents fit and tests can pass small fakes.
 */
import type { PushChannel, PushChannels, RequestChannel, RequestChannels } from './ipc-channels.js';

/** The frame that sent an IPC message (Electron's WebFrameMain); null once it has navigated away or gone. */
export interface SenderFrameLike {
  readonly url: string;
  readonly parent: unknown | null;
}

export interface InvokeEventLike {
  readonly senderFrame: SenderFrameLike | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  getURL(): string;
}

/**
 * What arrives from a renderer is whatever the page sent, not what the channel's type promises: the
 * handler sees every argument as unknown and must validate (the contract's dispatcher does).
 */
export type Untrusted<A extends unknown[]> = { [K in keyof A]: unknown };

/**
 * Who may use a request channel. Part of handle() itself, so that no handler can be registered
 * without a sender check; a refused call gets `refused` and never reaches the handler.
 */
export interface SenderPolicy<R> {
  isTrusted(frame: SenderFrameLike | null): boolean;
  refused: R;
  onRefused?(frame: SenderFrameLike | null): void;
}

export function handle<C extends RequestChannel>(
  ipcMain: IpcMainLike,
  channel: C,
  policy: SenderPolicy<Awaited<ReturnType<RequestChannels[C]>>>,
  handler: (event: InvokeEventLike, ...args: Untrusted<Parameters<RequestChannels[C]>>) => ReturnType<RequestChannels[C]>,
): () => void {
  ipcMain.handle(channel, (event, ...args) => {
    // senderFrame is null when the frame navigated away or was destroyed while the message was in
    // flight: it can no longer be identified, so the policy sees null and (ours does) refuses.
    // Reading a disposed frame's properties throws in Electron: that is a refusal too.
    const frame = event.senderFrame ?? null;
    let trusted = false;
    try {
      trusted = policy.isTrusted(frame);
    } catch {
      trusted = false;
    }
    if (!trusted) {
      try {
        policy.onRefused?.(frame);
      } catch {
        // reporting must not turn a refusal into a rejected invoke
      }
      return Promise.resolve(policy.refused);
    }
    return handler(event, ...(args as Untrusted<Parameters<RequestChannels[C]>>));
  });
  return () => ipcMain.removeHandler(channel);
}

export function send<C extends PushChannel>(webContents: WebContentsLike, channel: C, ...args: Parameters<PushChannels[C]>): void {
  webContents.send(channel, ...args);
}
