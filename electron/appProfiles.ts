/**
 * What the desktop app (main.ts) and its headless twin (launch.ts) operate: a ProfileManager whose
 * list lives in <swarmageHome()>/app, and what it opens at start. No 'electron' import, so both can
 * use it.
 *
 * At start, in this order:
 *   1. the config files named on the command line (`npm start -- a.json b.json`), added and started;
 *   2. else the saved profiles, those that were running when the app stopped started again;
 *   3. else ./swarmage.config.json, if the working directory has one (a project's own drone);
 *   4. else nothing: the UI's first-run screen offers a config, a drone to attach to, or the demo
 *      (written into the app folder exactly as `swarmage init` writes it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProfileManager } from '../core/app/profileManager.js';
import { ProfileStore } from '../core/app/profileStore.js';
import { DEFAULT_CONFIG_FILE } from '../core/config/load.js';
import { swarmageHome } from '../core/db/paths.js';
import { Logger, StderrSink } from '../core/log/logger.js';
import { DroneService, type DroneServiceOptions } from '../core/service/droneService.js';

export function appConfigDir(): string {
  return path.join(swarmageHome(), 'app');
}

/** The app's arguments that name config files; flags (Chromium's --no-sandbox and the like) never do, even ending in .json. */
export function configArgs(argv: readonly string[]): string[] {
  return argv.filter((a) => !a.startsWith('-') && a.toLowerCase().endsWith('.json'));
}

export interface AppManagerOptions {
  /** How each local drone runs (hot reload in the desktop app…); its config file is the profile's. */
  service?: Omit<DroneServiceOptions, 'configFile'>;
  pickFile?: () => Promise<string | null>;
  /** Default appConfigDir(). */
  appDir?: string;
}

export function createAppManager(opts: AppManagerOptions = {}): ProfileManager {
  const appDir = opts.appDir ?? appConfigDir();
  return new ProfileManager({
    log: new Logger('info', [new StderrSink()]).child({ worker: 'app' }),
    store: new ProfileStore(appDir),
    createLocal: (configFile) => new DroneService({ logToStderr: true, ...opts.service, configFile }),
    pickFile: opts.pickFile,
    demoDir: appDir,
  });
}

/** Loads the saved list and opens what the app starts with (above); resolves when those drones have started or failed. */
export async function openAtStart(manager: ProfileManager, argv: readonly string[], cwd = process.cwd()): Promise<void> {
  const saved = manager.load();
  const files = configArgs(argv).map((f) => path.resolve(cwd, f));
  const local = path.resolve(cwd, DEFAULT_CONFIG_FILE);
  const log = manager.log;
  if (files.length > 0) {
    log.info(`config${files.length > 1 ? 's' : ''} given: ${files.join(', ')}`);
    await Promise.all(files.map((f) => manager.dispatch('profiles.add', { configFile: f }).then((out) => out.ok || log.error(out.error.message))));
  } else if (saved.profiles.length > 0) {
    const running = saved.profiles.filter((p) => p.run).length;
    log.info(`${saved.profiles.length} saved profile(s); starting the ${running} that were running when the app stopped`);
    await manager.startSaved();
  } else if (fs.existsSync(local)) {
    log.info(`config: ${local} (this directory's)`);
    await manager.open([local]);
  } else {
    log.info('no drone yet: the UI offers to open a config, attach to a drone or try the demo');
  }
}
