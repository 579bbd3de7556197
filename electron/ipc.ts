/**
 * The API over IPC: the Electron twin of core/host/server.ts, and as thin. One handler for the whole
 * contract that checks who is calling and hands (method, args) to service.dispatch, which validates
 * them; one forwarder of the service's events to the window. No API logic lives here.
 *
 * ipcMain, the service and the window are parameters, so a test drives this with a fake ipcMain and
 * webContents and the real dispatcher (test/electron/ipc.test.ts).
 */
import type { EventMessage } from '../core/api/contract.js';
import type { ApiService } from '../core/api/service.js';
import { CHANNELS, type InvokeResult } from './ipc-channels.js';
import { handle, send, type IpcMainLike, type SenderFrameLike, type WebContentsLike } from './ipc-main.js';
import { isAppIndex, isTrustedSender } from './security.js';
import { APP_INDEX_URL } from './window.js';

/** What registerApi needs of the engine. */
export type IpcService = Pick<ApiService, 'dispatch' | 'on' | 'off'>;

export interface WindowRef {
  isDestroyed(): boolean;
  readonly webContents: WebContentsLike;
}

export interface ApiOptions {
  /** The page allowed to call; the built renderer by default. */
  appIndexUrl?: string;
  /** Told about every refused call (main.ts logs it as a warning). */
  onUnauthorized?: (frameUrl: string) => void;
}

const UNAUTHORIZED: InvokeResult = {
  ok: false,
  error: { code: 'unauthorized', message: 'only the Swarmage window may call the drone' },
};

/** For the log line about a refused call. */
function describeFrame(frame: SenderFrameLike | null): string {
  if (!frame) return '(a frame that is gone)';
  try {
    return `${String(frame.url).slice(0, 200)}${frame.parent === null ? '' : ' (a subframe)'}`;
  } catch {
    return '(a disposed frame)';
  }
}

/** Registers the API; returns the function that unregisters it (handler and event forwarding). */
export function registerApi(ipcMain: IpcMainLike, service: IpcService, getWindow: () => WindowRef | null, opts: ApiOptions = {}): () => void {
  const appIndexUrl = opts.appIndexUrl ?? APP_INDEX_URL;

  const removeHandler = handle(
    ipcMain,
    CHANNELS.invoke,
    {
      isTrusted: (frame) => frame !== null && isTrustedSender(frame.url, appIndexUrl, frame.parent === null),
      refused: UNAUTHORIZED,
      onRefused: (frame) => opts.onUnauthorized?.(describeFrame(frame)),
    },
    async (_event, method, args, profile): Promise<InvokeResult> => {
      try {
        return await service.dispatch(method, args, profile);
      } catch (err) {
        // dispatch answers errors itself; this only guards against a bug turning into an IPC rejection.
        return { ok: false, error: { code: 'failed', message: err instanceof Error ? err.message : String(err) } };
      }
    },
  );

  const forward = (msg: EventMessage) => {
    const win = getWindow();
    if (!win || win.isDestroyed()) return;
    const contents = win.webContents;
    // Events carry task data and log lines: only our own page gets them, never a page the window was
    // somehow navigated to.
    if (contents.isDestroyed() || !isAppIndex(contents.getURL(), appIndexUrl)) return;
    send(contents, CHANNELS.event, msg);
  };
  service.on('event', forward);

  return () => {
    removeHandler();
    service.off('event', forward);
  };
}
