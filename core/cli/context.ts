import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfigFile, type ResolvedConfig } from '../config/load.js';
import { SwarmageClient } from '../swarmageClient.js';
import { resolveDatabase } from '../db/resolve.js';

/** --config FILE, else ./swarmage.config.json; `required` says whether its absence is an error. */
export function findConfig(flag: string | undefined, required: boolean): ResolvedConfig | null {
  if (flag) return loadConfigFile(flag);
  const file = path.resolve(DEFAULT_CONFIG_FILE);
  if (fs.existsSync(file)) return loadConfigFile(file);
  if (required) return loadConfigFile(file); // throws the "not found; run swarmage init" error
  return null;
}

const progress = (msg: string) => process.stderr.write(`swarmage: ${msg}\n`);

export async function connectClient(config: ResolvedConfig | null): Promise<SwarmageClient> {
  const db = await resolveDatabase(config, progress);
  return SwarmageClient.connect({ connectionString: db.connectionString, config });
}

export { progress };
