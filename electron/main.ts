/**
 * The desktop app's main process: the drones of its profiles (core/app/profileManager.ts) and one
 * window showing them. Everything here is wiring; the decisions live in security.ts / guards.ts, the
 * API in ipc.ts, the drones in core.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell } from 'electron';
import { reason } from '../core/util/redact.js';
import { configArgs, createAppManager, openAtStart } from './appProfiles.js';
import { guardSession, guardWebContents } from './guards.js';
import { registerApi } from './ipc.js';
import { APP_SCHEME_PRIVILEGES, serveAppProtocol } from './appProtocol.js';
import { APP_INDEX_URL, createMainWindow, RENDERER_INDEX } from './window.js';

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
  let win: BrowserWindow | null = null;
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
      const picked = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return picked.canceled ? null : (picked.filePaths[0] ?? null);
    },
  });
  const log = manager.log;

  let unregisterApi: (() => void) | null = null;
  let quitting: 'no' | 'stopping' | 'done' = 'no';

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
    if (!win || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  // The drone lives and dies with the app, on every platform (no macOS dock-only state).
  app.on('window-all-closed', () => app.quit());

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
      unregisterApi = registerApi(ipcMain, manager, () => win, {
        onUnauthorized: (from) => log.warn(`refused an API call from ${from}`),
      });
      win = createMainWindow(BrowserWindow, (err) => log.error(`cannot load the UI from ${RENDERER_INDEX}: ${reason(err)} (build it with "npm run build:ui")`));
      win.on('closed', () => (win = null));
    })
    .catch((err) => {
      log.error(`the app did not start: ${reason(err)}`);
      app.exit(1);
    });
}
