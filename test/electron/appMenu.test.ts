import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MenuItemConstructorOptions } from 'electron';
import type { ProfilesView } from '../../core/api/contract.js';
import { AppMenu, appMenuTemplate, type AppMenuActions } from '../../electron/appMenu.js';

const VIEW: ProfilesView = { profiles: [], recent: ['/home/me/billing/swarmage.config.json', '/srv/mail/a.json'], editable: true, canPick: true };

function recorder(): { actions: AppMenuActions; done: string[] } {
  const done: string[] = [];
  return {
    done,
    actions: {
      openConfig: () => done.push('open'),
      openRecent: (f) => done.push(`recent ${f}`),
      addProfile: () => done.push('add'),
      startAll: () => done.push('start all'),
      stopAll: () => done.push('stop all'),
      navigate: (v) => done.push(`navigate ${v}`),
    },
  };
}

const sub = (menu: MenuItemConstructorOptions[], label: string) => menu.find((m) => m.label === label)!.submenu as MenuItemConstructorOptions[];
const roles = (items: MenuItemConstructorOptions[]) => items.filter((i) => i.role).map((i) => i.role);
const click = (i: MenuItemConstructorOptions) => (i.click as unknown as () => void)();

describe('the application menu', () => {
  it('macOS: the app menu first; the standard edit and window menus; About in the app menu', () => {
    const menu = appMenuTemplate(VIEW, { platform: 'darwin', packaged: true }, recorder().actions);
    assert.deepEqual(
      menu.map((m) => m.role ?? m.label),
      ['appMenu', 'File', 'editMenu', 'View', 'windowMenu'],
    );
    assert.equal(sub(menu, 'File').at(-1)!.role, 'close');
  });

  it('elsewhere: Quit in File, About in Help', () => {
    const menu = appMenuTemplate(VIEW, { platform: 'linux', packaged: true }, recorder().actions);
    assert.deepEqual(
      menu.map((m) => m.role ?? m.label),
      ['File', 'editMenu', 'View', 'windowMenu', 'help'],
    );
    assert.equal(sub(menu, 'File').at(-1)!.role, 'quit');
  });

  it('developer tools and reload only unpackaged', () => {
    const dev = roles(sub(appMenuTemplate(VIEW, { platform: 'linux', packaged: false }, recorder().actions), 'View'));
    const shipped = roles(sub(appMenuTemplate(VIEW, { platform: 'linux', packaged: true }, recorder().actions), 'View'));
    assert.ok(dev.includes('toggleDevTools') && dev.includes('reload'));
    assert.deepEqual(shipped, ['resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']);
  });

  it("the app's commands: open (Ctrl/Cmd+O), recent files, add a profile, start/stop all, views", () => {
    const { actions, done } = recorder();
    const menu = appMenuTemplate(VIEW, { platform: 'linux', packaged: true }, actions);
    const file = sub(menu, 'File');
    assert.equal(file[0].accelerator, 'CmdOrCtrl+O');
    const recent = file[1].submenu as MenuItemConstructorOptions[];
    assert.deepEqual(
      recent.map((r) => r.label),
      ['billing/swarmage.config.json', 'mail/a.json'],
    );
    for (const i of [file[0], recent[1], file[3], file[4], file[6], file[7], ...sub(menu, 'View').slice(0, 4)]) click(i);
    assert.deepEqual(done, [
      'open',
      'recent /srv/mail/a.json',
      'add',
      'add',
      'start all',
      'stop all',
      'navigate overview',
      'navigate failures',
      'navigate enqueue',
      'navigate config',
    ]);
  });

  it('no recent file, no picker, a fixed list: what cannot be done is disabled', () => {
    const menu = appMenuTemplate({ ...VIEW, recent: [], canPick: false, editable: false }, { platform: 'linux', packaged: true }, recorder().actions);
    const file = sub(menu, 'File');
    assert.deepEqual(
      [file[0].enabled, file[1].enabled, (file[1].submenu as MenuItemConstructorOptions[])[0].enabled, file[3].enabled],
      [false, false, false, false],
    );
  });

  it('installed again only when the recent files or what may be edited change', () => {
    const installed: unknown[] = [];
    const menu = new AppMenu(
      { buildFromTemplate: (t) => t as never, setApplicationMenu: (m) => installed.push(m) },
      { platform: 'linux', packaged: true },
      recorder().actions,
    );
    menu.update(VIEW);
    menu.update({ ...VIEW, profiles: [] });
    menu.update({ ...VIEW, recent: ['/a/b.json'] });
    assert.equal(installed.length, 2);
  });
});
