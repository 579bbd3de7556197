#!/usr/bin/env node
/**
 * npm run build:native:electron — better-sqlite3 for the installed Electron, into
 *   build/native/electron-<ABI>/better_sqlite3.node
 * where <ABI> is that Electron's process.versions.modules. core/queue/local/nativeBinding.ts loads
 * it from there when running inside Electron.
 *
 * Why not `electron-rebuild` in place: node_modules/better-sqlite3/build must stay the Node build
 * (npm test, the CLI). So the package is copied to a temporary directory and built there, first
 * from the prebuilt binary for Electron (prebuild-install), else from source against Electron's
 * headers (node-gyp), and only the .node file is copied out. Both need the internet (GitHub
 * releases, electronjs.org/headers); without it this fails with one line, details in a log file.
 *
 * Builds for this machine's platform and arch (npm_config_arch overrides the arch): electron-builder
 * runs on each target OS anyway, since a native addon cannot be cross-compiled from here.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(path.join(ROOT, 'package.json'));
const PREFIX = 'build:native:electron';

function electronTarget() {
  const dir = path.dirname(require.resolve('electron/package.json'));
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  // The electron package ships its ABI; node-abi knows it too, for packages that do not.
  let abi = null;
  try {
    abi = fs.readFileSync(path.join(dir, 'abi_version'), 'utf8').trim();
  } catch {
    abi = String(require('node-abi').getAbi(version, 'electron'));
  }
  if (!/^\d+$/.test(abi)) throw new Error(`cannot tell the native ABI of Electron ${version} (got ${JSON.stringify(abi)})`);
  return { version, abi };
}

/** Runs a tool, appending its output to the log; true when it exited 0. */
function runLogged(log, cmd, args, opts) {
  fs.appendFileSync(log, `\n$ ${[cmd, ...args].join(' ')}\n`);
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 * 1024 * 1024, ...opts });
  fs.appendFileSync(log, `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}\n` : ''}\n(exit ${r.status ?? r.signal})\n`);
  return r.status === 0;
}

function main() {
  const { version, abi } = electronTarget();
  const arch = process.env.npm_config_arch || process.arch;
  const pkgDir = path.dirname(require.resolve('better-sqlite3/package.json'));
  const sqliteVersion = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  const outDir = path.join(ROOT, 'build', 'native', `electron-${abi}`);
  const out = path.join(outDir, 'better_sqlite3.node');

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-native-'));
  const log = path.join(os.tmpdir(), `swarmage-build-native-electron-${abi}.log`);
  fs.writeFileSync(log, `better-sqlite3 ${sqliteVersion} for Electron ${version} (ABI ${abi}, ${process.platform}-${arch})\n`);
  try {
    // Everything but build/: the copy must start clean, and the original's build is never touched.
    const copy = path.join(work, 'better-sqlite3');
    fs.cpSync(pkgDir, copy, { recursive: true, filter: (src) => path.relative(pkgDir, src).split(path.sep)[0] !== 'build' });
    const built = path.join(copy, 'build', 'Release', 'better_sqlite3.node');
    const node = process.execPath;

    const prebuilt = runLogged(
      log,
      node,
      [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', version, '--arch', arch, '--platform', process.platform, '--verbose'],
      { cwd: copy, timeout: 120_000 },
    );
    if (!(prebuilt && fs.existsSync(built))) {
      runLogged(
        log,
        node,
        [
          require.resolve('node-gyp/bin/node-gyp.js'),
          'rebuild',
          '--release',
          `--target=${version}`,
          `--arch=${arch}`,
          '--dist-url=https://electronjs.org/headers',
          // Electron's headers in their own cache, never mixed with Node's.
          `--devdir=${path.join(os.homedir(), '.electron-gyp')}`,
        ],
        { cwd: copy, timeout: 20 * 60_000 },
      );
    }
    if (!fs.existsSync(built)) {
      const offline = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|network connectivity/.test(fs.readFileSync(log, 'utf8'));
      const why = offline
        ? `no prebuilt binary could be downloaded and Electron's headers (https://electronjs.org/headers) are not reachable; this needs internet access`
        : 'no prebuilt binary, and compiling from source failed (a C++ toolchain and Python are needed)';
      process.stderr.write(`${PREFIX}: could not build better-sqlite3 ${sqliteVersion} for Electron ${version} (ABI ${abi}): ${why} (details: ${log})\n`);
      return 1;
    }
    fs.mkdirSync(outDir, { recursive: true });
    fs.copyFileSync(built, out);
    process.stdout.write(
      `${PREFIX}: ${path.relative(ROOT, out)} (better-sqlite3 ${sqliteVersion}, Electron ${version}, ${process.platform}-${arch}${prebuilt ? ', prebuilt' : ', compiled'})\n`,
    );
    return 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`${PREFIX}: ${err?.message ?? err}\n`);
  process.exitCode = 1;
}
