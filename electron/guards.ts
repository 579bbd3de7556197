/**
 * Wires the decisions of security.ts to Electron's events: on every webContents (navigation, new
 * windows, <webview>) and on the session (permissions, network). Electron objects are described
 * structurally, so the wiring itself is tested with fakes (test/electron/guards.test.ts) and this
 * file has no run-time 'electron' import.
 */
import { isRemoteRequest, navigationDecision, permissionDecision, REMOTE_REQUEST_PATTERNS, webviewDecision, windowOpenDecision } from './security.js';

export interface PreventableLike {
  preventDefault(): void;
}

/** The part of a webContents the guards use. Listener arguments follow Electron 45's events. */
export interface GuardedContentsLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event's listener takes its own arguments (Electron's overloads); only any[] accepts them all
  on(event: string, listener: (...args: any[]) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface GuardOptions {
  appIndexUrl: string;
  /** shell.openExternal; only ever called with a URL security.ts accepted (https). */
  openExternal: (url: string) => unknown;
  /** Where refusals are reported (a warning in the drone's log). */
  onBlocked?: (what: string) => void;
}

function openOutside(url: string | null, opts: GuardOptions): void {
  if (!url) return;
  // openExternal rejects when no handler exists for the URL; nothing the app can do about that.
  Promise.resolve()
    .then(() => opts.openExternal(url))
    .catch((err) => opts.onBlocked?.(`could not open ${url} in the browser: ${(err as Error)?.message ?? err}`));
}

/** For app.on('web-contents-created'): every webContents, including ones we did not create. */
export function guardWebContents(contents: GuardedContentsLike, opts: GuardOptions): void {
  // Every navigation of every frame (Electron emits this before will-navigate, and a preventDefault
  // here ends it). Only the main frame may navigate, and only its https links go to the browser.
  contents.on('will-frame-navigate', (event: PreventableLike & { url?: string; isMainFrame?: boolean }) => {
    const d = navigationDecision(event.url, opts.appIndexUrl, event.isMainFrame !== false);
    if (d.allow) return;
    event.preventDefault();
    if (d.openExternal) openOutside(d.openExternal, opts);
    else opts.onBlocked?.(`blocked a ${event.isMainFrame === false ? 'subframe ' : ''}navigation to ${String(event.url).slice(0, 200)}`);
  });
  // The main frame again, in case a navigation reaches it without will-frame-navigate: block only,
  // so that one click never opens the browser twice. (Electron passes the details object as the
  // event; the URL as the second argument is its older signature.)
  contents.on('will-navigate', (event: PreventableLike & { url?: string }, legacyUrl?: string) => {
    if (!navigationDecision(event.url ?? legacyUrl, opts.appIndexUrl).allow) event.preventDefault();
  });
  // A redirect can only follow a navigation we allowed (our own index, which never redirects).
  contents.on('will-redirect', (event: PreventableLike & { url?: string }, legacyUrl?: string) => {
    const url = event.url ?? legacyUrl;
    if (navigationDecision(url, opts.appIndexUrl).allow) return;
    event.preventDefault();
    opts.onBlocked?.(`blocked a redirect to ${String(url).slice(0, 200)}`);
  });
  contents.setWindowOpenHandler(({ url }) => {
    const d = windowOpenDecision(url);
    if (d.openExternal) openOutside(d.openExternal, opts);
    else opts.onBlocked?.(`blocked a new window for ${String(url).slice(0, 200)}`);
    return { action: d.action };
  });
  contents.on('will-attach-webview', (event: PreventableLike) => {
    if (webviewDecision().attach) return;
    event.preventDefault();
    opts.onBlocked?.('blocked a <webview>');
  });
}

/** The part of a session the guards use. */
export interface GuardedSessionLike {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void;
  setDevicePermissionHandler?(handler: (details: unknown) => boolean): void;
  webRequest: {
    onBeforeRequest(filter: { urls: string[] }, listener: (details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void): void;
  };
}

/** For session.defaultSession, before the first window: no permission is granted, nothing is fetched from a network. */
export function guardSession(session: GuardedSessionLike, onBlocked?: (what: string) => void): void {
  session.setPermissionRequestHandler((_wc, permission, callback) => {
    const granted = permissionDecision(permission);
    if (!granted) onBlocked?.(`denied the permission "${permission}"`);
    callback(granted);
  });
  session.setPermissionCheckHandler((_wc, permission) => permissionDecision(permission));
  session.setDevicePermissionHandler?.(() => permissionDecision('device'));
  session.webRequest.onBeforeRequest({ urls: [...REMOTE_REQUEST_PATTERNS] }, (details, callback) => {
    const cancel = isRemoteRequest(details.url);
    if (cancel) onBlocked?.(`blocked a network request to ${details.url.slice(0, 200)}`);
    callback({ cancel });
  });
}
