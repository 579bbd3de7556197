/**
 * The fake Electron's remote scenario (FAKE_ELECTRON_SCENARIO=remote): the test, in the parent
 * process, sends commands over child_process's IPC channel and gets what Electron was asked to show
 * (tray, menus, notifications, the window) or does what a user would (click a menu item or a
 * notification, move or close the window, call the API as the page). Commands and answers:
 * RemoteCommand / RemoteState below; test/electron/desktop.test.ts drives it.
 */
import { app, applicationMenu, FakeMenu, handlers, notifications, trays, until, windows, type MenuTemplate, type Rect } from './electron.js';

export type RemoteCommand =
  | { cmd: 'state' }
  /** Labels from the top: a profile's item is matched by its name (its label goes on with " — <state>"). */
  | { cmd: 'clickTray'; path: string[] }
  | { cmd: 'clickAppMenu'; path: string[] }
  | { cmd: 'clickNotification'; index: number }
  | { cmd: 'invoke'; method: string; args: unknown; profile?: string }
  | { cmd: 'setBounds'; bounds: Partial<Rect> }
  | { cmd: 'maximize' }
  | { cmd: 'close' }
  | { cmd: 'activate' }
  | { cmd: 'quit' };

/** A menu item as the test reads it: its template without the click handler. */
export type MenuItemView = Omit<MenuTemplate, 'submenu' | 'click'> & { submenu?: MenuItemView[] };

export interface RemoteState {
  tray: { images: string[]; tooltip: string; menu: MenuItemView[]; menus: number; destroyed: boolean } | null;
  appMenu: MenuItemView[] | null;
  windows: Array<{ options: Record<string, unknown>; bounds: Rect; maximized: boolean; visible: boolean; destroyed: boolean }>;
  notifications: Array<{ options: Record<string, unknown>; shown: boolean }>;
  /** navigate events sent to the first window's page. */
  navigations: unknown[];
}

function items(menu: MenuTemplate[] | FakeMenu | undefined): MenuTemplate[] {
  return menu instanceof FakeMenu ? menu.template : (menu ?? []);
}

function describe(menu: MenuTemplate[] | FakeMenu | undefined): MenuItemView[] {
  return items(menu).map(({ label, role, type, checked, enabled, accelerator, submenu }) => ({
    ...(label !== undefined && { label }),
    ...(role !== undefined && { role }),
    ...(type !== undefined && { type }),
    ...(checked !== undefined && { checked }),
    ...(enabled !== undefined && { enabled }),
    ...(accelerator !== undefined && { accelerator }),
    ...(submenu !== undefined && { submenu: describe(submenu) }),
  }));
}

/** As Electron does: a disabled item cannot be clicked, a checkbox flips before its click handler runs. */
function click(menu: FakeMenu | null, path: string[]): void {
  let level = items(menu ?? undefined);
  let item: MenuTemplate | undefined;
  for (const label of path) {
    item = level.find((i) => i.label === label || i.label?.startsWith(`${label} — `));
    if (!item) throw new Error(`no menu item ${JSON.stringify(label)} among ${JSON.stringify(level.map((i) => i.label ?? i.role))}`);
    if (item.enabled === false) throw new Error(`the menu item ${JSON.stringify(label)} is disabled`);
    level = items(item.submenu);
  }
  if (item?.type === 'checkbox') item.checked = !item.checked;
  item?.click?.(item, windows[0], {});
}

function state(): RemoteState {
  const tray = trays[0];
  return {
    tray: tray ? { images: tray.images, tooltip: tray.tooltip, menu: describe(tray.menu ?? undefined), menus: tray.menus, destroyed: tray.destroyed } : null,
    appMenu: applicationMenu ? describe(applicationMenu) : null,
    windows: windows.map((w) => ({ options: w.options, bounds: w.getBounds(), maximized: w.maximized, visible: w.visible, destroyed: w.destroyed })),
    notifications: notifications.map((n) => ({ options: n.options, shown: n.shown })),
    navigations: (windows[0]?.webContents.sent ?? []).filter(([, m]) => (m as { event?: string }).event === 'navigate').map(([, m]) => m),
  };
}

async function run(c: RemoteCommand): Promise<unknown> {
  switch (c.cmd) {
    case 'state':
      return state();
    case 'clickTray':
      return click((await until('the tray', () => trays[0])).menu, c.path);
    case 'clickAppMenu':
      return click(applicationMenu, c.path);
    case 'clickNotification':
      return void notifications[c.index].emit('click', {});
    case 'invoke': {
      const win = await until('the window', () => windows[0]);
      const invoke = await until('the API handler', () => handlers.get('swarmage:invoke'));
      return invoke({ senderFrame: { url: win.webContents.url, parent: null } }, c.method, c.args, c.profile);
    }
    case 'setBounds':
      return windows[0].setBounds(c.bounds);
    case 'maximize':
      return windows[0].maximize();
    case 'close':
      return windows[0].close();
    case 'activate':
      return void app.emit('activate');
    case 'quit':
      return app.quit();
  }
}

process.on('message', (msg: { id: number } & RemoteCommand) => {
  run(msg).then(
    (result) => process.send!({ id: msg.id, ok: true, result }),
    (err) => process.send!({ id: msg.id, ok: false, error: String((err as Error)?.stack ?? err) }),
  );
});
// The channel keeps the process up (as Electron's own loop would, with no drone running); quitting ends it (electron.ts finish()).
