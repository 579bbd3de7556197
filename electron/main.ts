/**
 * The desktop app's main process: one drone (DroneService) and one window showing it. Everything
 * here is wiring; the decisions live in security.ts / guards.ts, the API in ipc.ts, the drone in core.
 */
import { app, BrowserWindow, ipcMain, net, protocol, session, shell } from 'electron';
import { DroneService } from '../core/service/droneService.js';
import { reason } from '../core/util/redact.js';
import { chooseConfigFile, describeChoice } from './appConfig.js';
import { guardSession, guardWebContents } from './guards.js';
import { registerApi } from './ipc.js';
import { APP_SCHEME_PRIVILEGES, serveAppProtocol } from './appProtocol.js';
import { APP_INDEX_URL, createMainWindow, RENDERER_INDEX } from './window.js';

// Every renderer sandboxed, whatever a window's webPreferences say. Must precede 'ready'.
app.enableSandbox();
// The page's own origin, swarmage://app (appProtocol.ts); like enableSandbox, only before 'ready'.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

// One drone per machine user: a second app would fight the first over the local queue file (it is
// locked exclusively). A second launch focuses the first instead.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  run();
}

function run(): void {
  // Packaged, argv is [app, ...args]; unpackaged, [electron, main.js, ...args].
  const choice = chooseConfigFile(process.argv.slice(app.isPackaged ? 1 : 2));
  // Dev mode in the desktop app: a worker module's edit restarts its type's workers.
  const service = new DroneService({
    configFile: choice.file,
    logToStderr: true,
    hotReload: true,
    // electron-builder.yml: enableNodeCliInspectArguments is off, and workers are forked from this binary.
    debugUnavailable: app.isPackaged
      ? 'debugging a type is off in the packaged app (its fuses make it ignore --inspect, in worker processes too); run this config with "swarmage drone --ui" under Node to debug it'
      : undefined,
  });
  const log = service.log.child({ worker: 'app' });
  if (choice.error) log.error(describeChoice(choice));
  else log.info(describeChoice(choice));

  let win: BrowserWindow | null = null;
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

  app.on('second-instance', () => {
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
    log.info('quitting: stopping the drone gracefully');
    // The API stays registered meanwhile, so a window still open shows the drone "stopping".
    service
      .stop()
      .catch((err) => log.error(`stopping the drone: ${reason(err)}`))
      .finally(() => {
        unregisterApi?.();
        quitting = 'done';
        app.quit();
      });
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => app.quit());

  // The drone starts at once, in parallel with the window; a failure (bad config, no database) leaves
  // the service in state "error", which the UI shows and lets the operator fix.
  service.start().catch((err) => log.error(`the drone did not start: ${reason(err)}`));

  app
    .whenReady()
    .then(() => {
      guardSession(session.defaultSession, (what) => log.warn(what));
      serveAppProtocol(protocol, net);
      unregisterApi = registerApi(ipcMain, service, () => win, {
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
