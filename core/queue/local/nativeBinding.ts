import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's root (dist/core/queue/local/ → four levels up); inside app.asar when packaged. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface NativeBindingEnv {
  /** process.versions.electron: set only inside Electron. */
  electron?: string;
  /** process.versions.modules: the runtime's native ABI (NODE_MODULE_VERSION). */
  modules: string;
  /** process.resourcesPath: set by Electron (the packaged app's resources/). */
  resourcesPath?: string;
  packageRoot: string;
}

function currentEnv(): NativeBindingEnv {
  return {
    electron: process.versions.electron,
    modules: process.versions.modules,
    resourcesPath: (process as { resourcesPath?: string }).resourcesPath,
    packageRoot: PACKAGE_ROOT,
  };
}

/**
 * The better-sqlite3 addon to load, for its `nativeBinding` option; undefined means its default.
 *
 * Electron has its own native ABI, so the addon in node_modules/better-sqlite3/build (compiled for
 * Node, which `npm test` and the CLI use) cannot load there. `npm run build:native:electron` builds
 * a second copy into build/native/electron-<ABI>/ instead of rebuilding over the first; inside
 * Electron this returns that file: in a packaged app from resources/app.asar.unpacked/ (asarUnpack,
 * since an addon cannot be loaded from inside an archive) or resources/, else from the package
 * root. Outside Electron, or when no such build exists, undefined (and Electron then reports the
 * ABI mismatch when the local queue opens).
 */
export function nativeBindingPath(env: NativeBindingEnv = currentEnv()): string | undefined {
  if (!env.electron) return undefined;
  const rel = path.join('build', 'native', `electron-${env.modules}`, 'better_sqlite3.node');
  const candidates = [
    ...(env.resourcesPath ? [path.join(env.resourcesPath, 'app.asar.unpacked', rel), path.join(env.resourcesPath, rel)] : []),
    path.join(env.packageRoot, rel),
  ];
  return candidates.find((file) => fs.existsSync(file));
}
