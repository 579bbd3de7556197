/**
 * The tray (menu-bar) icon: its image, tooltip and menu follow the profile list (trayState.ts
 * decides what they say). Electron's Tray, Menu and nativeImage are parameters, so the fake-electron
 * harness records what it was asked (test/electron/desktop.test.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Menu, MenuItemConstructorOptions, NativeImage } from 'electron';
import type { ProfilesView } from '../core/api/contract.js';
import { aggregateTrayState, trayMenuKey, trayMenuTemplate, trayTooltip, type TrayActions, type TrayState } from './trayState.js';

/**
 * resources/tray/ from dist/electron/: the repository's folder unpackaged, app.asar's packaged
 * (electron-builder.yml ships resources/**); nativeImage reads from inside the archive.
 */
export const TRAY_ICON_DIR = fileURLToPath(new URL('../../resources/tray/', import.meta.url));

/** The 16 px icon; Electron takes <state>@2x.png next to it on high-DPI screens. */
export function trayIconPath(state: TrayState): string {
  return path.join(TRAY_ICON_DIR, `${state}.png`);
}

export interface TrayLike {
  setImage(image: NativeImage): void;
  setToolTip(text: string): void;
  setContextMenu(menu: Menu | null): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
}

export interface TrayElectron {
  Tray: new (image: NativeImage) => TrayLike;
  Menu: { buildFromTemplate(template: MenuItemConstructorOptions[]): Menu };
  nativeImage: { createFromPath(path: string): NativeImage };
  platform: NodeJS.Platform;
}

export class AppTray {
  private readonly tray: TrayLike;
  private state: TrayState = 'stopped';
  private tooltip = '';
  private menuKey = '';
  private view: ProfilesView = { profiles: [], recent: [], editable: true, canPick: false };

  constructor(
    private readonly electron: TrayElectron,
    private readonly actions: TrayActions,
    private readonly closeToTray: () => boolean,
  ) {
    this.tray = new electron.Tray(electron.nativeImage.createFromPath(trayIconPath(this.state)));
    // macOS opens the menu on a click; elsewhere a click on the icon is the quickest way back to the window.
    if (electron.platform !== 'darwin') this.tray.on('click', () => actions.showWindow());
    this.update(this.view);
  }

  /** The profile list changed (or the close-to-tray setting): updates what differs. */
  update(view: ProfilesView = this.view): void {
    this.view = view;
    const state = aggregateTrayState(view.profiles);
    if (state !== this.state) {
      this.state = state;
      this.tray.setImage(this.electron.nativeImage.createFromPath(trayIconPath(state)));
    }
    const tooltip = trayTooltip(view.profiles);
    if (tooltip !== this.tooltip) {
      this.tooltip = tooltip;
      this.tray.setToolTip(tooltip);
    }
    const closeToTray = this.closeToTray();
    const key = trayMenuKey(view, closeToTray);
    if (key !== this.menuKey) {
      this.menuKey = key;
      this.tray.setContextMenu(this.electron.Menu.buildFromTemplate(trayMenuTemplate(view, closeToTray, this.actions)));
    }
  }

  destroy(): void {
    this.tray.destroy();
  }
}
