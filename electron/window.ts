/**
 * The app's one window: the built renderer over our own scheme (appProtocol.ts), locked down. Only
 * type imports from 'electron', so the settings and the window factory are tested under plain Node
 * with a fake BrowserWindow class (test/electron/window.test.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { APP_INDEX_URL, RENDERER_DIR } from './appProtocol.js';

export { APP_INDEX_URL };
/** The bundled preload (scripts/build-preload.mjs), next to this file in dist/electron/. */
export const PRELOAD_PATH = fileURLToPath(new URL('./preload.cjs', import.meta.url));
/** The renderer's index on disk (what swarmage://app/index.html serves). */
export const RENDERER_INDEX = path.join(RENDERER_DIR, 'index.html');

/**
 * Electron's security checklist, explicitly (most are already defaults; spelling them out means an
 * Electron upgrade that changes a default cannot loosen them, and a test pins every one).
 */
export const WEB_PREFERENCES = Object.freeze({
  contextIsolation: true, // the page cannot touch the preload's world or Electron internals
  sandbox: true, // the renderer is an ordinary Chromium sandboxed process
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true, // same-origin policy stays on
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false, // nothing to spell-check, and it would download dictionaries
  navigateOnDragDrop: false, // a file dropped on the window must not replace the app
  safeDialogs: true,
  preload: PRELOAD_PATH,
} as const satisfies WebPreferences);

/** What createMainWindow needs of a BrowserWindow. */
export interface WindowLike {
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
}

export type WindowConstructor<W extends WindowLike> = new (options: BrowserWindowConstructorOptions) => W;

export const WINDOW_OPTIONS: BrowserWindowConstructorOptions = {
  width: 1280,
  height: 820,
  minWidth: 720,
  minHeight: 480,
  title: 'Swarmage',
  show: false, // shown on ready-to-show: no white flash before the first paint
  autoHideMenuBar: true,
  webPreferences: WEB_PREFERENCES,
};

/**
 * Creates the window and loads our own index, swarmage://app/index.html: never a remote page (the
 * session also cancels every http(s)/ws(s) request, see guards.ts), never file://. BrowserWindow is
 * a parameter so that main.ts passes Electron's and the tests a recorder. `bounds`: where the window
 * was last (windowKeeper.ts); none, the default size, centred.
 */
export function createMainWindow<W extends WindowLike>(
  BrowserWindow: WindowConstructor<W>,
  onLoadError?: (err: unknown) => void,
  bounds?: { x: number; y: number; width: number; height: number } | null,
): W {
  const win = new BrowserWindow({ ...WINDOW_OPTIONS, ...bounds, webPreferences: { ...WEB_PREFERENCES } });
  win.once('ready-to-show', () => win.show());
  win.loadURL(APP_INDEX_URL).catch((err) => onLoadError?.(err));
  return win;
}
