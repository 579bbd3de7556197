/**
 * `npm start`: runs the desktop app in Electron when its binary is available, else the very same UI
 * and drone headless in this Node process, served to a browser on 127.0.0.1 (core/host). Plain Node,
 * no 'electron' import: it has to work where Electron does not.
 *
 *   node dist/electron/launch.js [CONFIG.json ...]
 *
 * SWARMAGE_HEADLESS=1 skips Electron; SWARMAGE_UI_PORT changes the headless port (default 7420).
 * Headless, the UI needs its token like `swarmage drone --ui`: the login URL is printed, and
 * `swarmage ui` lists it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_UI_PORT, startHost, type RunningHost } from '../core/host/server.js';
import { reason } from '../core/util/redact.js';
import { createAppManager, openAtStart } from './appProfiles.js';

const MAIN_JS = fileURLToPath(new URL('./main.js', import.meta.url));
const DOWNLOAD_TIMEOUT_MS = 30_000;

/**
 * The Electron executable from node_modules/electron (path.txt names it inside dist/), or null.
 * ELECTRON_OVERRIDE_DIST_PATH points elsewhere, as it does for the electron package itself.
 */
function electronBinary(electronDir: string): string | null {
  let rel = '';
  try {
    rel = fs.readFileSync(path.join(electronDir, 'path.txt'), 'utf8').trim();
  } catch {
    // not downloaded yet
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const bin = override ? path.join(override, rel || 'electron') : rel ? path.join(electronDir, 'dist', rel) : null;
  return bin && fs.existsSync(bin) ? bin : null;
}

/**
 * The binary, downloading it once if needed. The electron package fetches it lazily (on first
 * require or run); we run its installer ourselves, with a timeout and its output captured, so that a
 * machine without internet gets one clear line instead of a stack trace.
 */
function findOrFetchElectron(): { bin: string | null; why: string } {
  let dir: string;
  try {
    dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { bin: null, why: 'the electron package is not installed (npm install)' };
  }
  const found = electronBinary(dir);
  if (found) return { bin: found, why: '' };
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return { bin: null, why: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set' };
  const r = spawnSync(process.execPath, [path.join(dir, 'install.js')], { encoding: 'utf8', timeout: DOWNLOAD_TIMEOUT_MS, stdio: 'pipe' });
  const bin = electronBinary(dir);
  if (bin) return { bin, why: '' };
  const out = `${r.stderr ?? ''}\n${r.stdout ?? ''}`;
  const first =
    r.error?.message ??
    out
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /error|fail|ENOTFOUND|ECONN|EAI_AGAIN/i.test(l));
  return { bin: null, why: `could not download it${first ? `: ${first.slice(0, 160)}` : ''}` };
}

function runElectron(bin: string, args: string[]): void {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would make the binary a plain Node and ignore the app
  // Its own process group (POSIX), so that a Ctrl-C reaches Electron once, forwarded from here, and
  // not a second time straight from the terminal: a second SIGINT means "exit now" to the app.
  const child = spawn(bin, [MAIN_JS, ...args], { stdio: 'inherit', env, detached: process.platform !== 'win32' });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  // The terminal closing: the app (in its own group) would not hear of it; stop it gracefully too.
  process.on('SIGHUP', () => child.kill('SIGTERM'));
  child.on('error', (err) => {
    process.stderr.write(`swarmage: could not run Electron (${bin}): ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function runHeadless(args: string[], port: number): Promise<void> {
  const manager = createAppManager();
  const log = manager.log;

  let host: RunningHost | null = null;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn(`${sig} again: exiting now; unfinished tasks stay in the local queue`);
      process.exit(130);
    }
    log.info(`${sig}: stopping (again to exit at once)`);
    void Promise.allSettled([host?.close(), manager.stopAll()]).then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // A token per run as for "swarmage drone --ui": any local user can reach a loopback port.
    host = await startHost(manager, { host: '127.0.0.1', port, serverInfo: {} });
    process.stderr.write(`swarmage: operator UI on ${host.loginUrl}\n`);
  } catch (err) {
    process.stderr.write(`swarmage: ${reason(err)}\n`);
    process.exit(1);
  }
  // As in the window: a drone that fails to start leaves the UI up, showing the error.
  await openAtStart(manager, args);
}

function main(): void {
  const args = process.argv.slice(2);
  const port = Number(process.env.SWARMAGE_UI_PORT ?? DEFAULT_UI_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`swarmage: SWARMAGE_UI_PORT: expected a port number, got ${JSON.stringify(process.env.SWARMAGE_UI_PORT)}\n`);
    process.exit(2);
  }
  const { bin, why } = process.env.SWARMAGE_HEADLESS ? { bin: null, why: 'SWARMAGE_HEADLESS is set' } : findOrFetchElectron();
  if (bin) {
    runElectron(bin, args);
    return;
  }
  process.stderr.write(`swarmage: the Electron binary is not available on this machine (${why}); serving the same UI at http://127.0.0.1:${port} instead\n`);
  runHeadless(args, port).catch((err) => {
    process.stderr.write(`swarmage: ${reason(err)}\n`);
    process.exit(1);
  });
}

main();
