import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfigFile, type ResolvedConfig } from '../config/load.js';
import { SwarmageClient } from '../swarmageClient.js';
import { embeddedNotice, resolveDatabase, type DatabaseChoice } from '../db/resolve.js';

/** --config FILE, else ./swarmage.config.json; `required` says whether its absence is an error. */
export function findConfig(flag: string | undefined, required: boolean): ResolvedConfig | null {
  if (flag) return loadConfigFile(flag);
  const file = path.resolve(DEFAULT_CONFIG_FILE);
  if (fs.existsSync(file)) return loadConfigFile(file);
  if (required) return loadConfigFile(file); // throws the "not found; run swarmage init" error
  return null;
}

const progress = (msg: string) => process.stderr.write(`swarmage: ${msg}\n`);

/** The database a command works on; on stderr, so that --json output stays clean, the line saying when it is the embedded one. */
export async function commandDatabase(config: ResolvedConfig | null): Promise<DatabaseChoice> {
  const db = await resolveDatabase(config, progress);
  const notice = embeddedNotice(db);
  if (notice) progress(notice);
  return db;
}

/** A client on the config's queue: through its gateway when queue.module is "remote", else on the database. */
export async function connectClient(config: ResolvedConfig | null, db?: DatabaseChoice): Promise<SwarmageClient> {
  if (config?.queue.module === 'remote') return SwarmageClient.connect({ config });
  const { connectionString } = db ?? (await commandDatabase(config));
  return SwarmageClient.connect({ connectionString, config });
}

export { progress };
