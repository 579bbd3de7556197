import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePrivateDir } from '../util/privateFiles.js';

/**
 * Where Swarmage keeps machine-wide state (the embedded Postgres). SWARMAGE_HOME wins; root uses
 * /var/lib/swarmage because Postgres runs as another user, who cannot enter /root.
 */
export function swarmageHome(): string {
  if (process.env.SWARMAGE_HOME) return path.resolve(process.env.SWARMAGE_HOME);
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'swarmage');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'swarmage');
  if (process.getuid?.() === 0) return '/var/lib/swarmage';
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'swarmage');
}

/**
 * A folder of Swarmage's home (or the home itself), with its missing parents: 0700, but 0711 as root,
 * since Postgres then runs as "postgres", which must pass through (pass, not list) to its data.
 * Whoever creates the home first — a drone's UI writing its server file, or the embedded Postgres —
 * creates it the same way.
 */
export function ensureHomeDir(home: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(home); !fs.existsSync(d) && d !== path.dirname(d); d = path.dirname(d)) missing.push(d);
  ensurePrivateDir(home);
  if (process.getuid?.() === 0) for (const d of missing) fs.chmodSync(d, 0o711);
}
