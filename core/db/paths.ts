import os from 'node:os';
import path from 'node:path';

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
