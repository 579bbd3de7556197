/**
 * Which config the desktop app runs its drone on. Shared by main.ts and launch.ts (whose headless
 * fallback must pick the same file); no 'electron' import so both can use it.
 *
 *   1. the first command-line argument ending in .json;
 *   2. else ./swarmage.config.json, if the working directory has one (a project's own drone);
 *   3. else the per-user app config, <swarmageHome()>/app/swarmage.config.json, written on first
 *      run exactly as `swarmage init` writes a demo (the same code: writeStarter).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeStarter } from '../core/config/starter.js';
import { DEFAULT_CONFIG_FILE } from '../core/config/load.js';
import { swarmageHome } from '../core/db/paths.js';
import { reason } from '../core/util/redact.js';

export interface ConfigChoice {
  file: string;
  source: 'argument' | 'cwd' | 'app';
  /** Files written for a first run (relative to the file's directory); empty otherwise. */
  created: string[];
  /** Writing the first-run config failed: the drone will report the missing file, the UI shows it. */
  error: string | null;
}

export interface ConfigChoiceOptions {
  cwd?: string;
  /** Default <swarmageHome()>/app. */
  appDir?: string;
}

export function appConfigDir(): string {
  return path.join(swarmageHome(), 'app');
}

/** argv: the app's own arguments (no executable, no script path). */
export function chooseConfigFile(argv: readonly string[], opts: ConfigChoiceOptions = {}): ConfigChoice {
  const cwd = opts.cwd ?? process.cwd();
  // Flags (Chromium's --no-sandbox and the like) are never a config file, even if they end in .json.
  const arg = argv.find((a) => !a.startsWith('-') && a.toLowerCase().endsWith('.json'));
  if (arg) return { file: path.resolve(cwd, arg), source: 'argument', created: [], error: null };

  const local = path.resolve(cwd, DEFAULT_CONFIG_FILE);
  if (fs.existsSync(local)) return { file: local, source: 'cwd', created: [], error: null };

  const dir = opts.appDir ?? appConfigDir();
  const file = path.join(dir, DEFAULT_CONFIG_FILE);
  if (fs.existsSync(file)) return { file, source: 'app', created: [], error: null };
  try {
    return { file, source: 'app', created: writeStarter(dir), error: null };
  } catch (err) {
    return { file, source: 'app', created: [], error: `could not write the first-run config in ${dir}: ${reason(err)}` };
  }
}

/** One log line about the choice, so the operator knows which file the drone runs on. */
export function describeChoice(c: ConfigChoice): string {
  if (c.error) return c.error;
  if (c.created.length > 0) return `first run: wrote a demo drone to ${path.dirname(c.file)} (${c.created.join(', ')}); edit its config in the UI`;
  return `config: ${c.file}${c.source === 'app' ? " (the app's own)" : ''}`;
}
