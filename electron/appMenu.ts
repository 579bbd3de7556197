/**
 * The application menu: Electron's standard roles (the edit menu is what makes copy and paste work
 * in the window's inputs on macOS) plus the app's own commands. appMenuTemplate is pure and
 * unit-tested; AppMenu installs it through the Menu it is given and rebuilds it when the recent
 * config files change.
 */
import path from 'node:path';
import type { Menu, MenuItemConstructorOptions } from 'electron';
import type { NavigateTo, ProfilesView } from '../core/api/contract.js';

export interface AppMenuActions {
  openConfig(): void;
  openRecent(file: string): void;
  /** The window's add-profile view: attach to a drone, or try the demo. */
  addProfile(): void;
  startAll(): void;
  stopAll(): void;
  navigate(view: NavigateTo['view']): void;
}

export interface AppMenuHost {
  platform: NodeJS.Platform;
  /** Packaged builds have no developer tools (nor reload, which would only lose the page's state). */
  packaged: boolean;
}

/** "billing/swarmage.config.json": enough of the path to tell two recent files apart. */
function recentLabel(file: string): string {
  return path.join(path.basename(path.dirname(file)), path.basename(file));
}

export function appMenuTemplate(view: ProfilesView, host: AppMenuHost, actions: AppMenuActions): MenuItemConstructorOptions[] {
  const isMac = host.platform === 'darwin';
  const recent: MenuItemConstructorOptions[] =
    view.recent.length > 0
      ? view.recent.map((f) => ({ label: recentLabel(f), toolTip: f, click: () => actions.openRecent(f) }))
      : [{ label: 'None', enabled: false }];
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open Config…', accelerator: 'CmdOrCtrl+O', enabled: view.editable && view.canPick, click: () => actions.openConfig() },
      { label: 'Open Recent', enabled: view.editable, submenu: recent },
      { type: 'separator' },
      { label: 'Attach to a Drone…', enabled: view.editable, click: () => actions.addProfile() },
      { label: 'Try the Demo', enabled: view.editable, click: () => actions.addProfile() },
      { type: 'separator' },
      { label: 'Start All Drones', click: () => actions.startAll() },
      { label: 'Stop All Drones', click: () => actions.stopAll() },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const developer: MenuItemConstructorOptions[] = host.packaged
    ? []
    : [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }];
  const viewMenu: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      { label: 'Overview', click: () => actions.navigate('overview') },
      { label: 'Failures', click: () => actions.navigate('failures') },
      { label: 'Enqueue', click: () => actions.navigate('enqueue') },
      { label: 'Config', click: () => actions.navigate('config') },
      { type: 'separator' },
      ...developer,
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  // macOS has About in the app menu; elsewhere it goes in Help.
  const ends: MenuItemConstructorOptions[] = isMac ? [{ role: 'appMenu' }] : [{ role: 'help', submenu: [{ role: 'about' }] }];
  return [...(isMac ? ends : []), file, { role: 'editMenu' }, viewMenu, { role: 'windowMenu' }, ...(isMac ? [] : ends)];
}

export interface MenuApi {
  buildFromTemplate(template: MenuItemConstructorOptions[]): Menu;
  setApplicationMenu(menu: Menu | null): void;
}

export class AppMenu {
  private key = '';

  constructor(
    private readonly menu: MenuApi,
    private readonly host: AppMenuHost,
    private readonly actions: AppMenuActions,
  ) {}

  /** Installs the menu, again only when what it shows (the recent files, what may be edited) changed. */
  update(view: ProfilesView): void {
    const key = JSON.stringify([view.recent, view.editable, view.canPick]);
    if (key === this.key) return;
    this.key = key;
    this.menu.setApplicationMenu(this.menu.buildFromTemplate(appMenuTemplate(view, this.host, this.actions)));
  }
}
