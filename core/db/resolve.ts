import type { ResolvedConfig } from '../config/load.js';
import { ensureEmbedded } from './embedded.js';

export interface DatabaseChoice {
  connectionString: string;
  source: 'SWARMAGE_DATABASE_URL' | 'config' | 'embedded';
}

/** The database, in this order: SWARMAGE_DATABASE_URL, the config's connectionString, else the embedded server. */
export async function resolveDatabase(config: Pick<ResolvedConfig, 'queue'> | null, onProgress?: (msg: string) => void): Promise<DatabaseChoice> {
  const env = process.env.SWARMAGE_DATABASE_URL;
  if (env) return { connectionString: env, source: 'SWARMAGE_DATABASE_URL' };
  const fromConfig = config?.queue.config.connectionString;
  if (fromConfig) return { connectionString: fromConfig, source: 'config' };
  const embedded = config?.queue.config.embedded ?? {};
  return { connectionString: await ensureEmbedded({ ...embedded, onProgress }), source: 'embedded' };
}

/**
 * The connection for LISTEN only, when the queue's goes through a pooler in transaction mode:
 * SWARMAGE_LISTEN_DATABASE_URL, else the config's listenConnectionString, else none (LISTEN goes
 * where everything else does).
 */
export function resolveListenUrl(config: Pick<ResolvedConfig, 'queue'> | null): string | undefined {
  return process.env.SWARMAGE_LISTEN_DATABASE_URL || config?.queue.config.listenConnectionString || undefined;
}
