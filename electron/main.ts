/**
 * The desktop app's main process: the drones of its profiles (core/app/profileManager.ts), one
 * window showing them, a tray icon and notifications that outlive the window. Everything here is
 * wiring; the decisions live in security.ts / guards.ts / trayState.ts / windowState.ts, the API in
 * ipc.ts, the window's life in windowKeeper.ts, the drones in core.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, net, Notification, protocol, screen, session, shell, Tray } from 'electron';
import type { ArgsIn, NavigateTo, ProfileMethod, ProfilesView } from '../core/api/contract.js';
import type { ProfileManager } from '../core/app/profileManager.js';
import { reason } from '../core/util/redact.js';
import { appConfigDir, configArgs, createAppManager, openAtStart } from './appProfiles.js';
import { AppMenu } from './appMenu.js';
import { guardSession, guardWebContents } from './guards.js';
import { registerApi } from './ipc.js';
import { APP_SCHEME_PRIVILEGES, serveAppProtocol } from './appProtocol.js';
import { notifyFailures } from './notifications.js';
import { AppTray } from './tray.js';
import { APP_INDEX_URL, createMainWindow, RENDERER_INDEX } from './window.js';
import { WindowKeeper } from './windowKeeper.js';

// Every renderer sandboxed, whatever a window's webPreferences say. Must precede 'ready'.
app.enableSandbox();
// The page's own origin, swarmage://app (appProtocol.ts); like enableSandbox, only before 'ready'.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

// One app per machine user: a second would fight the first over the local queue files (each is
// locked exclusively) and the profile list. A second launch hands its config files to the first.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  run();
}

function run(): void {
  // Packaged, argv is [app, ...args]; unpackaged, [electron, main.js, ...args].
  const ownArgs = (argv: string[]) => argv.slice(app.isPackaged ? 1 : 2);
  let quitting: 'no' | 'stopping' | 'done' = 'no';
  let ready = false;
  let tray: AppTray | null = null;
  const manager = createAppManager({
    service: {
      // Dev mode in the desktop app: a worker module's edit restarts its type's workers.
      hotReload: true,
      // electron-builder.yml: enableNodeCliInspectArguments is off, and workers are forked from this binary.
      debugUnavailable: app.isPackaged
        ? 'debugging a type is off in the packaged app (its fuses make it ignore --inspect, in worker processes too); run this config with "swarmage drone --ui" under Node to debug it'
        : undefined,
    },
    pickFile: async () => {
      const options = { title: 'Open a Swarmage config', properties: ['openFile' as const], filters: [{ name: 'Swarmage config', extensions: ['json'] }] };
      const win = keeper.current();
      const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return picked.canceled ? null : (picked.filePaths[0] ?? null);
    },
  });
  const log = manager.log;
  const uiMissing = (err: unknown) => log.error(`cannot load the UI from ${RENDERER_INDEX}: ${reason(err)} (build it with "npm run build:ui")`);
  const keeper = new WindowKeeper({
    file: path.join(appConfigDir(), 'window.json'),
    create: (bounds) => createMainWindow(BrowserWindow, uiMissing, bounds),
    workAreas: () => screen.getAllDisplays().map((d) => d.workArea),
    quitting: () => quitting !== 'no',
    onError: (message) => log.warn(message),
  });

  let unregisterApi: (() => void) | null = null;
  /** Brings the window up and tells its page which view to show (a menu command, a clicked notification). */
  const showAt = (to: NavigateTo) => {
    keeper.show();
    manager.navigate(to);
  };
  const command = <M extends ProfileMethod>(method: M, args: ArgsIn<M>) =>
    void manager.dispatch(method, args).then((out) => out.ok || log.error(`${method}: ${out.error.message}`));

  // Before any webContents exists, so no page ever runs unguarded.
  app.on('web-contents-created', (_event, contents) => {
    guardWebContents(contents, {
      appIndexUrl: APP_INDEX_URL,
      openExternal: (url) => shell.openExternal(url),
      onBlocked: (what) => log.warn(what),
    });
  });

  app.on('second-instance', (_event, argv, cwd) => {
    const files = configArgs(ownArgs(argv)).map((f) => path.resolve(cwd, f));
    if (files.length > 0) void manager.open(files).catch((err) => log.error(reason(err)));
    if (ready) keeper.show();
  });

  // With "close to tray" on, closing the window only hides it (windowKeeper.ts) and the drones keep
  // running until Quit; off, the drones live and die with the window, on every platform.
  app.on('window-all-closed', () => {
    if (!keeper.closeToTray) app.quit();
  });
  // macOS: a click on the dock icon brings the hidden window back.
  app.on('activate', () => {
    if (ready) keeper.show();
  });

  // Graceful stop: running tasks finish (up to shutdownGraceMs), the rest go back to the queue. A
  // second quit request (or signal) while stopping exits at once; the local queue keeps what the
  // drone held for the next start.
  app.on('before-quit', (event) => {
    if (quitting === 'done') return;
    event.preventDefault();
    if (quitting === 'stopping') {
      log.warn('quit again: exiting now; unfinished tasks stay in the local queue');
      app.exit(130);
      return;
    }
    quitting = 'stopping';
    log.info('quitting: stopping the drones gracefully');
    // The API stays registered meanwhile, so a window still open shows the drones "stopping".
    manager
      .stopAll()
      .catch((err) => log.error(`stopping the drones: ${reason(err)}`))
      .finally(() => {
        unregisterApi?.();
        tray?.destroy();
        quitting = 'done';
        app.quit();
      });
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => app.quit());

  // The drones start at once, in parallel with the window; a failure (bad config, no database) leaves
  // that profile in state "error", which the UI shows and lets the operator fix.
  openAtStart(manager, ownArgs(process.argv)).catch((err) => log.error(`the drones did not start: ${reason(err)}`));

  app
    .whenReady()
    .then(() => {
      guardSession(session.defaultSession, (what) => log.warn(what));
      serveAppProtocol(protocol, net);
      unregisterApi = registerApi(ipcMain, manager, () => keeper.current(), {
        onUnauthorized: (from) => log.warn(`refused an API call from ${from}`),
      });
      ready = true;
      keeper.open();
      const appTray = new AppTray(
        { Tray, Menu, nativeImage, platform: process.platform },
        {
          showWindow: () => keeper.show(),
          start: (id) => command('profiles.start', { id }),
          stop: (id) => command('profiles.stop', { id }),
          restart: (id) => command('profiles.restart', { id }),
          setCloseToTray: (on) => {
            keeper.setCloseToTray(on);
            appTray.update();
          },
          quit: () => app.quit(),
        },
        () => keeper.closeToTray,
      );
      tray = appTray;
      const menu = new AppMenu(
        Menu,
        { platform: process.platform, packaged: app.isPackaged },
        {
          openConfig: () => command('profiles.pick', {}),
          openRecent: (configFile) => command('profiles.add', { configFile, start: true }),
          addProfile: () => showAt({ view: 'add-profile' }),
          startAll: () => manager.view().profiles.forEach((p) => p.state === 'stopped' && command('profiles.start', { id: p.id })),
          stopAll: () => manager.view().profiles.forEach((p) => p.state !== 'stopped' && command('profiles.stop', { id: p.id })),
          navigate: (view) => showAt({ view }),
        },
      );
      const showProfiles = (view: ProfilesView) => {
        appTray.update(view);
        menu.update(view);
      };
      showProfiles(manager.view());
      onProfiles(manager, showProfiles);
      notifyFailures(Notification, manager, (n) => showAt({ view: 'failures', profile: n.profile, group: n.group }));
    })
    .catch((err) => {
      log.error(`the app did not start: ${reason(err)}`);
      app.exit(1);
    });
}

/** The tray and the menu follow the profile list, rebuilt once a burst of changes has settled. */
function onProfiles(manager: ProfileManager, show: (view: ProfilesView) => void, settleMs = 100): void {
  let timer: NodeJS.Timeout | null = null;
  manager.on('event', (msg) => {
    if (msg.event !== 'profiles') return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => show(msg.data as ProfilesView), settleMs);
  });
}
