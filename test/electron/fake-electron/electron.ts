/**
 * A stand-in for the 'electron' module, for running dist/electron/main.js under plain Node where the
 * Electron binary cannot run (see main.test.ts; hooks.ts maps the 'electron' import here). It records
 * what the main process asks of Electron and, when FAKE_ELECTRON_REPORT is set, plays a short
 * session once the window exists: a few guarded events, IPC calls, then quit (or, with
 * FAKE_ELECTRON_STAY, waits for a signal); and writes what it saw as JSON to that file. With
 * FAKE_ELECTRON_SCENARIO=remote it plays nothing itself: the test drives it over the IPC channel of
 * child_process (remote.ts: clicks in the tray and menus, notifications, the window, API calls),
 * what a user would do, step by step. FAKE_ELECTRON_DISPLAYS (JSON, work areas) sets the screen.
 * Inert when merely imported.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

const report: Record<string, unknown> = { calls: [] as string[] };
const calls = report.calls as string[];

class Preventable {
  defaultPrevented = false;
  constructor(
    readonly url?: string,
    readonly isMainFrame?: boolean,
  ) {}
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

class FakeWebContents extends EventEmitter {
  url = '';
  readonly sent: Array<[string, unknown]> = [];
  openHandler: ((d: { url: string }) => unknown) | null = null;
  setWindowOpenHandler(h: (d: { url: string }) => unknown): void {
    this.openHandler = h;
  }
  send(channel: string, msg: unknown): void {
    this.sent.push([channel, msg]);
  }
  isDestroyed(): boolean {
    return false;
  }
  getURL(): string {
    return this.url;
  }
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The displays' work areas: FAKE_ELECTRON_DISPLAYS, or one 1920×1080 screen less a 40 px panel. */
function workAreas(): Rect[] {
  const given = process.env.FAKE_ELECTRON_DISPLAYS;
  return given ? (JSON.parse(given) as Rect[]) : [{ x: 0, y: 0, width: 1920, height: 1040 }];
}

export const screen = {
  getAllDisplays: () => workAreas().map((workArea) => ({ workArea, bounds: workArea })),
};

export const windows: FakeBrowserWindow[] = [];

class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  readonly loads: Array<[string, string]> = [];
  bounds: Rect;
  maximized = false;
  visible = false;
  destroyed = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    windows.push(this);
    const o = options as Partial<Rect>;
    const width = o.width ?? 800;
    const height = o.height ?? 600;
    // As Electron does: no position given, centred on the (first) display.
    const area = workAreas()[0];
    this.bounds = { x: o.x ?? area.x + Math.round((area.width - width) / 2), y: o.y ?? area.y + Math.round((area.height - height) / 2), width, height };
    // As Electron does, for every webContents: the app's guards get installed here.
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadFile(file: string): Promise<void> {
    this.loads.push(['loadFile', file]);
    this.webContents.url = pathToFileURL(file).href;
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loads.push(['loadURL', url]);
    this.webContents.url = url;
    setImmediate(() => this.emit('ready-to-show'));
    return Promise.resolve();
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  focus(): void {}
  getBounds(): Rect {
    return { ...this.bounds };
  }
  getNormalBounds(): Rect {
    return { ...this.bounds };
  }
  /** As a user dragging or resizing the window: Electron emits both. */
  setBounds(b: Partial<Rect>): void {
    this.bounds = { ...this.bounds, ...b };
    this.emit('move');
    this.emit('resize');
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  maximize(): void {
    this.maximized = true;
    this.visible = true;
    this.emit('maximize');
  }
  /** The window's close button: 'close' may be prevented; otherwise the window is gone, and with the last one, 'window-all-closed'. */
  close(): boolean {
    const e = new Preventable();
    this.emit('close', e);
    if (e.defaultPrevented) return false;
    this.destroyed = true;
    this.visible = false;
    this.emit('closed');
    if (windows.every((w) => w.destroyed)) app.emit('window-all-closed');
    return true;
  }
}

class FakeNativeImage {
  constructor(readonly path: string) {}
  isEmpty(): boolean {
    return !fs.existsSync(this.path);
  }
}

export const nativeImage = {
  createFromPath: (file: string) => new FakeNativeImage(file),
};

/** A built menu keeps its template, so a test can read it and click its items. */
export class FakeMenu {
  constructor(readonly template: MenuTemplate[]) {}
}
export interface MenuTemplate {
  label?: string;
  role?: string;
  type?: string;
  checked?: boolean;
  enabled?: boolean;
  accelerator?: string;
  submenu?: MenuTemplate[] | FakeMenu;
  click?: (item: MenuTemplate, win: unknown, event: unknown) => void;
}

export let applicationMenu: FakeMenu | null = null;
export const Menu = {
  buildFromTemplate: (template: MenuTemplate[]) => new FakeMenu(template),
  setApplicationMenu(menu: FakeMenu | null): void {
    calls.push('Menu.setApplicationMenu');
    applicationMenu = menu;
  },
};

export const trays: FakeTray[] = [];
class FakeTray extends EventEmitter {
  /** Every image it showed, in order. */
  readonly images: string[] = [];
  tooltip = '';
  menu: FakeMenu | null = null;
  /** How many times the menu was set. */
  menus = 0;
  destroyed = false;
  constructor(image: FakeNativeImage) {
    super();
    trays.push(this);
    this.setImage(image);
  }
  setImage(image: FakeNativeImage): void {
    if (image.isEmpty()) throw new Error(`fake electron: the tray icon ${image.path} does not exist`);
    this.images.push(image.path);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.menu = menu;
    this.menus++;
  }
  destroy(): void {
    this.destroyed = true;
  }
}
export const Tray = FakeTray;

export const notifications: FakeNotification[] = [];
class FakeNotification extends EventEmitter {
  shown = false;
  static isSupported(): boolean {
    return true;
  }
  constructor(readonly options: Record<string, unknown>) {
    super();
    notifications.push(this);
  }
  show(): void {
    this.shown = true;
  }
}
export const Notification = FakeNotification;

class FakeApp extends EventEmitter {
  isPackaged = false;
  enableSandbox(): void {
    calls.push('app.enableSandbox');
  }
  requestSingleInstanceLock(): boolean {
    calls.push('app.requestSingleInstanceLock');
    return true;
  }
  whenReady(): Promise<void> {
    calls.push('app.whenReady');
    // The remote scenario is served by remote.ts (register.ts loads it); the test plays it.
    if (process.env.FAKE_ELECTRON_REPORT && process.env.FAKE_ELECTRON_SCENARIO !== 'remote') setImmediate(() => void play());
    return Promise.resolve();
  }
  /** As Electron does: 'before-quit' (which may put it off), then every window closes (which may cancel it), then the end. */
  quit(): void {
    calls.push('app.quit');
    const e = new Preventable();
    this.emit('before-quit', e);
    if (e.defaultPrevented) return;
    for (const w of windows) if (!w.destroyed && !w.close()) return;
    finish(0);
  }
  exit(code: number): void {
    calls.push(`app.exit(${code})`);
    finish(code);
  }
}

export const app = new FakeApp();
export const BrowserWindow = FakeBrowserWindow;

export const handlers = new Map<string, Handler>();
export const ipcMain = {
  handle(channel: string, h: Handler): void {
    calls.push(`ipcMain.handle(${channel})`);
    handlers.set(channel, h);
  },
  removeHandler(channel: string): void {
    calls.push(`ipcMain.removeHandler(${channel})`);
    handlers.delete(channel);
  },
};

const sessionHooks: Record<string, unknown> = {};
export const session = {
  defaultSession: {
    setPermissionRequestHandler: (h: unknown) => (sessionHooks.request = h),
    setPermissionCheckHandler: (h: unknown) => (sessionHooks.check = h),
    setDevicePermissionHandler: (h: unknown) => (sessionHooks.device = h),
    webRequest: { onBeforeRequest: (filter: unknown, l: unknown) => ((sessionHooks.filter = filter), (sessionHooks.onBeforeRequest = l)) },
  },
};

type SchemeHandler = (request: { url: string; method: string }) => Response | Promise<Response>;
const schemeHandlers = new Map<string, SchemeHandler>();
export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    calls.push('protocol.registerSchemesAsPrivileged');
    report.schemes = schemes;
  },
  handle(scheme: string, handler: SchemeHandler): void {
    calls.push(`protocol.handle(${scheme})`);
    schemeHandlers.set(scheme, handler);
  },
};
/** net.fetch of file:// URLs, as the scheme handler uses it; records which files were read. */
const fetched: string[] = [];
export const net = {
  async fetch(url: string): Promise<Response> {
    const file = fileURLToPath(url);
    fetched.push(file);
    return new Response(fs.readFileSync(file), { headers: { 'Content-Type': path.extname(file) === '.html' ? 'text/html' : 'application/octet-stream' } });
  },
};

const opened: string[] = [];
export const shell = {
  openExternal: async (url: string) => {
    opened.push(url);
  },
};

/** The file picker: answers what FAKE_ELECTRON_PICK names (or "cancelled"). */
export const dialog = {
  showOpenDialog: async (...args: unknown[]) => {
    calls.push('dialog.showOpenDialog');
    const pick = process.env.FAKE_ELECTRON_PICK;
    void args;
    return pick ? { canceled: false, filePaths: [pick] } : { canceled: true, filePaths: [] };
  },
};

export default { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, net, Notification, protocol, screen, session, shell, Tray };

function finish(code: number): void {
  const file = process.env.FAKE_ELECTRON_REPORT;
  if (file) fs.writeFileSync(file, JSON.stringify(report, null, 2));
  process.exit(code);
}

export async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 60_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`fake electron: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The file the app's scheme served for its index (the window's first load goes through it). */
function fetchedIndex(): string {
  return fetched.find((f) => f.endsWith('index.html')) ?? '/nonexistent/index.html';
}

/** The session: what a user and a hostile page would do, then quit. */
async function play(): Promise<void> {
  try {
    const win = await until('the window', () => windows[0]);
    const serve = await until('the app scheme handler', () => schemeHandlers.get('swarmage'));
    const get = async (url: string, method = 'GET') => {
      const res = await serve({ url, method });
      return { status: res.status, csp: res.headers.get('content-security-policy') };
    };
    const index = await get(win.webContents.url);
    report.served = {
      index: { ...index, file: fetchedIndex() },
      climb: await get('swarmage://app/..%2f..%2fpackage.json'),
      otherHost: await get('swarmage://evil/index.html'),
      post: await get(win.webContents.url, 'POST'),
    };
    const invoke = await until('the API handler', () => handlers.get('swarmage:invoke'));
    const contents = win.webContents;
    report.window = { options: win.options, loads: win.loads };

    const nav = (url: string, isMainFrame = true) => {
      const e = new Preventable(url, isMainFrame);
      contents.emit('will-frame-navigate', e);
      return e.defaultPrevented ? 'blocked' : 'allowed';
    };
    report.navigation = {
      index: nav(contents.url),
      https: nav('https://example.com/docs'),
      http: nav('http://example.com/'),
      file: nav('file:///etc/passwd'),
      fileIndex: nav(pathToFileURL(fetchedIndex()).href),
      javascript: nav('javascript:alert(1)'),
    };
    report.windowOpen = [contents.openHandler?.({ url: 'https://example.com/new' }), contents.openHandler?.({ url: 'file:///etc/passwd' })];
    const webview = new Preventable();
    contents.emit('will-attach-webview', webview, {}, {});
    report.webviewBlocked = webview.defaultPrevented;
    let granted: boolean | null = null;
    (sessionHooks.request as (wc: unknown, p: string, cb: (g: boolean) => void) => void)(contents, 'media', (g) => (granted = g));
    report.permission = { request: granted, check: (sessionHooks.check as (wc: unknown, p: string) => boolean)(contents, 'notifications') };
    report.requestFilter = sessionHooks.filter;

    const call = (frameUrl: string, method: string, args: unknown, parent: unknown = null) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers' shapes are what this checks, field by field
      invoke({ senderFrame: { url: frameUrl, parent } }, method, args) as Promise<{ ok: boolean; result?: any; error?: any }>;
    const running = await until('the drone to run', async () => {
      const r = await call(contents.url, 'drone.snapshot', {});
      return r.ok && r.result.app.state === 'running' ? r.result : null;
    });
    report.snapshot = { state: running.app.state, configFile: running.app.configFile };
    report.request = await call(contents.url, 'tasks.request', { type: 'factorial', data: 5 });
    report.untrusted = await call('https://evil.example/', 'drone.snapshot', {});
    report.subframe = await call(contents.url, 'drone.snapshot', {}, {});
    report.invalid = await call(contents.url, 'tasks.enqueue', { type: '' });
    await until('an event pushed to the window', () => contents.sent.length > 0, 5000);
    report.eventChannels = [...new Set(contents.sent.map(([c]) => c))];
    await new Promise((r) => setTimeout(r, 200)); // let the guards' openExternal settle
    report.openedExternally = opened;
    if (process.env.FAKE_ELECTRON_STAY) {
      // Played; the test now stops the app from outside (a signal), as a user would.
      report.played = true;
      fs.writeFileSync(process.env.FAKE_ELECTRON_REPORT!, JSON.stringify(report, null, 2));
      return;
    }
    app.quit();
  } catch (err) {
    report.error = String((err as Error)?.stack ?? err);
    finish(3);
  }
}
