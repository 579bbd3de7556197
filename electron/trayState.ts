/**
 * What the tray (menu-bar) icon says, as pure functions of the profile list: which icon, which
 * tooltip, which menu. No run-time 'electron' import, so every decision is unit-tested under plain
 * Node (test/electron/trayState.test.ts); tray.ts hands the results to Electron.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { ProfileInfo, ProfilesView } from '../core/api/contract.js';

/** One icon each (resources/tray/<state>.png, scripts/make-tray-icons.mjs), worst first. */
export const TRAY_STATES = ['failing', 'running', 'paused', 'stopped'] as const;
export type TrayState = (typeof TRAY_STATES)[number];

/** What one profile counts as. A drone that did not start (state "error") needs a look as much as one whose tasks fail. */
export function profileTrayState(p: ProfileInfo): TrayState {
  if (p.failing || p.state === 'error') return 'failing';
  if (p.state === 'stopped' || p.state === 'stopping') return 'stopped';
  return p.paused ? 'paused' : 'running';
}

/** The whole app: failing if any profile is, else running if any runs, else paused if any is, else stopped. */
export function aggregateTrayState(profiles: readonly ProfileInfo[]): TrayState {
  const states = new Set(profiles.map(profileTrayState));
  return TRAY_STATES.find((s) => states.has(s)) ?? 'stopped';
}

/** "Swarmage: 2 running, 1 failing" (the counts that are not zero, in a fixed order). */
export function trayTooltip(profiles: readonly ProfileInfo[]): string {
  if (profiles.length === 0) return 'Swarmage: no drones yet';
  const counts = new Map<TrayState, number>();
  for (const p of profiles) counts.set(profileTrayState(p), (counts.get(profileTrayState(p)) ?? 0) + 1);
  const order: TrayState[] = ['running', 'paused', 'failing', 'stopped'];
  return `Swarmage: ${order
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(', ')}`;
}

/** What the tray's menu items do (main.ts wires them to the window and the profile manager). */
export interface TrayActions {
  showWindow(): void;
  start(id: string): void;
  stop(id: string): void;
  restart(id: string): void;
  setCloseToTray(on: boolean): void;
  quit(): void;
}

export const SHOW_WINDOW = 'Show Window';
export const CLOSE_TO_TRAY = 'Keep Drones Running When the Window Closes';
export const QUIT = 'Quit Swarmage';

/** The icon's category, but said precisely while it is on its way (starting, stopping…). */
function profileLabel(p: ProfileInfo): string {
  const state = p.state === 'error' ? 'did not start' : p.state === 'running' || p.state === 'stopped' ? profileTrayState(p) : p.state;
  return `${p.name} — ${state}`;
}

function profileItem(p: ProfileInfo, actions: TrayActions): MenuItemConstructorOptions {
  const stopped = p.state === 'stopped';
  const busy = p.state === 'stopping';
  return {
    label: profileLabel(p),
    submenu: [
      { label: 'Start', enabled: stopped, click: () => actions.start(p.id) },
      { label: 'Stop', enabled: !stopped && !busy, click: () => actions.stop(p.id) },
      { label: 'Restart', enabled: !stopped && !busy, click: () => actions.restart(p.id) },
    ],
  };
}

/** The tray's context menu: the window, each profile with its state and Start/Stop/Restart, the close-to-tray switch, Quit. */
export function trayMenuTemplate(view: ProfilesView, closeToTray: boolean, actions: TrayActions): MenuItemConstructorOptions[] {
  const profiles: MenuItemConstructorOptions[] =
    view.profiles.length > 0 ? view.profiles.map((p) => profileItem(p, actions)) : [{ label: 'No drones yet', enabled: false }];
  return [
    { label: SHOW_WINDOW, click: () => actions.showWindow() },
    { type: 'separator' },
    ...profiles,
    { type: 'separator' },
    // Electron flips `checked` before calling click: the item says what the user chose.
    { label: CLOSE_TO_TRAY, type: 'checkbox', checked: closeToTray, click: (item) => actions.setCloseToTray(item.checked) },
    { type: 'separator' },
    { label: QUIT, click: () => actions.quit() },
  ];
}

/** What the menu shows, to rebuild it only when that changed (profiles events also carry counts the menu does not show). */
export function trayMenuKey(view: ProfilesView, closeToTray: boolean): string {
  return JSON.stringify([closeToTray, view.profiles.map((p) => [p.id, profileLabel(p), p.state])]);
}
