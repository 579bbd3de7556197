/**
 * Every security decision the main process makes, as pure functions of strings: no 'electron'
 * import, so each rule is unit-tested under plain Node (test/electron/security.test.ts). guards.ts
 * and ipc.ts wire them to Electron's events. The app is a single local page (dist/ui/index.html
 * served as swarmage://app/index.html, appProtocol.ts) talking to the drone over IPC: it never needs to navigate, open windows, embed
 * content, ask for permissions or load anything from the network, so the default is always "no".
 */

const MAX_EXTERNAL_URL = 8192;
// Whitespace and control characters: the URL parser silently strips some of them, which is how
// "java\tscript:" style tricks get past naive checks. A link we hand to the OS must not contain any.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_CHARS = /[\u0000-\u0020\u007f-\u009f\u2028\u2029]/;

function parse(url: unknown): URL | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_EXTERNAL_URL) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function decodedPath(u: URL): string | null {
  try {
    return decodeURIComponent(u.pathname);
  } catch {
    return null; // malformed percent-encoding: not our page
  }
}

/**
 * Whether url is the app's own index page: the same scheme, host and path, no query or credentials.
 * The hash may differ (the renderer routes with it). Paths are compared decoded, so that a
 * percent-encoded spelling of the same path is the same page; file: is never the app.
 */
export function isAppIndex(url: unknown, appIndexUrl: string): boolean {
  const u = parse(url);
  const app = parse(appIndexUrl);
  if (!u || !app || u.protocol !== app.protocol || u.protocol === 'file:') return false;
  if (u.port !== app.port) return false;
  if (u.host !== app.host || u.search !== '' || u.username !== '' || u.password !== '') return false;
  const p = decodedPath(u);
  return p !== null && p === decodedPath(app);
}

/** will-navigate / will-frame-navigate: only (re)loading our own index is allowed. */
export function isAllowedNavigation(url: unknown, appIndexUrl: string): boolean {
  return isAppIndex(url, appIndexUrl);
}

/** A link that may be handed to the operating system (shell.openExternal): https with a host, nothing else. */
export function isSafeExternalUrl(url: unknown): boolean {
  if (typeof url !== 'string' || UNSAFE_CHARS.test(url)) return false;
  const u = parse(url);
  // No credentials: "https://good.example@evil.example/" is a phishing classic.
  return !!u && u.protocol === 'https:' && u.hostname !== '' && u.username === '' && u.password === '';
}

export interface LinkDecision {
  /** Whether Electron may go ahead (navigate in place / open a window). */
  allow: boolean;
  /** The URL to open in the user's browser instead, if any. */
  openExternal: string | null;
}

/**
 * A navigation of one of our frames: in the main frame our index stays in the app, an https link
 * goes to the browser, the rest nowhere. The UI has no iframes, so a subframe never navigates (and
 * never opens anything outside).
 */
export function navigationDecision(url: unknown, appIndexUrl: string, isMainFrame = true): LinkDecision {
  if (!isMainFrame) return { allow: false, openExternal: null };
  if (isAllowedNavigation(url, appIndexUrl)) return { allow: true, openExternal: null };
  return { allow: false, openExternal: isSafeExternalUrl(url) ? (url as string) : null };
}

/**
 * setWindowOpenHandler: the app never opens a second window, not even of its own page (a window
 * without our preload and guards would be a way around them). https links go to the browser.
 */
export function windowOpenDecision(url: unknown): { action: 'deny'; openExternal: string | null } {
  return { action: 'deny', openExternal: isSafeExternalUrl(url) ? (url as string) : null };
}

/** <webview> gives a page a second, separately configured renderer: never attached. */
export function webviewDecision(): { attach: false } {
  return { attach: false };
}

/**
 * Whether an IPC message comes from us: the main frame (not an iframe, which could host anything)
 * of our own index (swarmage://app/index.html). Anything else gets 'unauthorized' and never reaches the dispatcher.
 */
export function isTrustedSender(frameUrl: unknown, appIndexUrl: string, isMainFrame: boolean): boolean {
  return isMainFrame === true && isAppIndex(frameUrl, appIndexUrl);
}

/** Camera, microphone, notifications, geolocation, clipboard, HID, serial…: the UI needs none of them. */
export function permissionDecision(_permission?: string): boolean {
  return false;
}

/**
 * Requests the session cancels outright: the page is local and talks over IPC, so nothing it loads
 * should come from a network (Chromium match patterns, for session.webRequest.onBeforeRequest).
 * The page's CSP says the same; this holds even for content the CSP does not govern.
 */
export const REMOTE_REQUEST_PATTERNS: readonly string[] = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'];

/** The same rule as a predicate, for any request that reaches a handler anyway: only our scheme (and devtools, data:, blob:) is local. */
export function isRemoteRequest(url: unknown): boolean {
  const u = parse(url);
  return !u || !['swarmage:', 'devtools:', 'data:', 'blob:'].includes(u.protocol);
}
