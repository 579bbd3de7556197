import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { MenuItemConstructorOptions } from 'electron';
import type { ProfileInfo, ProfilesView } from '../../core/api/contract.js';
import { aggregateTrayState, profileTrayState, trayMenuKey, trayMenuTemplate, trayTooltip, TRAY_STATES, type TrayActions } from '../../electron/trayState.js';
import { TRAY_ICON_DIR, trayIconPath } from '../../electron/tray.js';
import { profileInfo } from '../helpers/profiles.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

const profile = (over: Partial<ProfileInfo>) => profileInfo({ id: over.name ?? 'p', ...over });

const view = (profiles: ProfileInfo[]): ProfilesView => ({ profiles, recent: [], editable: true, canPick: true });

function recorder(): { actions: TrayActions; done: string[] } {
  const done: string[] = [];
  return {
    done,
    actions: {
      showWindow: () => done.push('show'),
      start: (id) => done.push(`start ${id}`),
      stop: (id) => done.push(`stop ${id}`),
      restart: (id) => done.push(`restart ${id}`),
      setCloseToTray: (on) => done.push(`closeToTray ${on}`),
      quit: () => done.push('quit'),
    },
  };
}

function click(item: MenuItemConstructorOptions): void {
  (item.click as unknown as (i: MenuItemConstructorOptions) => void)(item);
}

describe('the tray state', () => {
  it('a profile: failing (a failed task lately, or it did not start) before stopped, paused or running', () => {
    assert.equal(profileTrayState(profile({ failing: true, paused: true })), 'failing');
    assert.equal(profileTrayState(profile({ state: 'error' })), 'failing');
    assert.equal(profileTrayState(profile({ state: 'stopped' })), 'stopped');
    assert.equal(profileTrayState(profile({ state: 'stopping' })), 'stopped');
    assert.equal(profileTrayState(profile({ paused: true })), 'paused');
    assert.equal(profileTrayState(profile({ state: 'starting' })), 'running');
  });

  it('all profiles: failing if any fails, else running if any runs, else paused, else stopped (also with none)', () => {
    const [fail, run, pause, stop] = [profile({ failing: true }), profile({}), profile({ paused: true }), profile({ state: 'stopped' })];
    assert.equal(aggregateTrayState([stop, run, fail, pause]), 'failing');
    assert.equal(aggregateTrayState([stop, pause, run]), 'running');
    assert.equal(aggregateTrayState([stop, pause]), 'paused');
    assert.equal(aggregateTrayState([stop]), 'stopped');
    assert.equal(aggregateTrayState([]), 'stopped');
  });

  it('the tooltip counts each state there is, in a fixed order', () => {
    const list = [profile({}), profile({ failing: true }), profile({}), profile({ state: 'stopped' })];
    assert.equal(trayTooltip(list), 'Swarmage: 2 running, 1 failing, 1 stopped');
    assert.equal(trayTooltip([]), 'Swarmage: no drones yet');
  });

  it('the menu: the window, each profile with the actions its state allows, the close-to-tray switch, Quit', () => {
    const { actions, done } = recorder();
    const menu = trayMenuTemplate(view([profile({ id: 'a', name: 'billing' }), profile({ id: 'b', name: 'mail', state: 'stopped' })]), true, actions);
    assert.deepEqual(
      menu.map((i) => i.label ?? i.type),
      [
        'Show Window',
        'separator',
        'billing — running',
        'mail — stopped',
        'separator',
        'Keep Drones Running When the Window Closes',
        'separator',
        'Quit Swarmage',
      ],
    );
    const sub = (i: number) => menu[i].submenu as MenuItemConstructorOptions[];
    assert.deepEqual(
      sub(2).map((i) => [i.label, i.enabled]),
      [
        ['Start', false],
        ['Stop', true],
        ['Restart', true],
      ],
    );
    assert.deepEqual(
      sub(3).map((i) => i.enabled),
      [true, false, false],
    );
    click(sub(2)[1]);
    click(sub(3)[0]);
    click(menu[0]);
    click({ ...menu[5], checked: false }); // Electron flips the box before the click
    click(menu[7]);
    assert.deepEqual(done, ['stop a', 'start b', 'show', 'closeToTray false', 'quit']);
    assert.equal(menu[5].checked, true);
  });

  it('says precisely what a profile on its way is doing, and that one did not start', () => {
    const menu = trayMenuTemplate(view([profile({ name: 'a', state: 'starting' }), profile({ name: 'b', state: 'error' })]), false, recorder().actions);
    assert.deepEqual([menu[2].label, menu[3].label], ['a — starting', 'b — did not start']);
    assert.equal(trayMenuTemplate(view([]), false, recorder().actions)[2].label, 'No drones yet');
  });

  it('the menu key changes with what the menu shows, not with counts', () => {
    const key = trayMenuKey(view([profile({ buffered: 1 })]), true);
    assert.equal(trayMenuKey(view([profile({ buffered: 9, running: 3 })]), true), key);
    assert.notEqual(trayMenuKey(view([profile({ state: 'stopped' })]), true), key);
    assert.notEqual(trayMenuKey(view([profile({ buffered: 1 })]), false), key);
  });

  it('an icon for every state, at 1x and 2x, in a folder the packaged app ships', () => {
    for (const s of TRAY_STATES) {
      for (const file of [trayIconPath(s), trayIconPath(s).replace(/\.png$/, '@2x.png')]) {
        assert.deepEqual([...fs.readFileSync(file).subarray(1, 4)], [...Buffer.from('PNG')], file);
      }
    }
    assert.equal(path.relative(ROOT, TRAY_ICON_DIR), path.join('resources', 'tray'));
    const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): { files: string[] } };
    const files = yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')).files;
    assert.ok(files.includes('resources/**/*'), `electron-builder.yml files: ${files.join(', ')}`);
  });
});
