import type { ResolvedConfig } from '../../config/load.js';
import { postgresSettings } from '../../config/schema.js';
import { embeddedNotice, resolveDatabase, resolveListenUrl } from '../../db/resolve.js';
import { redactUrl } from '../../util/redact.js';
import type { OpenedQueue, QueueHooks } from '../queueModule.js';
import { PgQueue } from './pgQueue.js';

/** queue.module "postgres": the database from the environment, the config or the embedded server. */
export async function openPostgresQueue(config: ResolvedConfig, hooks: QueueHooks): Promise<OpenedQueue> {
  const settings = postgresSettings(config)!;
  const db = await resolveDatabase(config, hooks.onProgress);
  const queue = new PgQueue({
    connectionString: db.connectionString,
    schema: settings.schema,
    poolSize: hooks.role === 'client' ? 2 : settings.poolSize,
    asyncClaimCommit: settings.asyncClaimCommit,
    listenConnectionString: resolveListenUrl(config),
    onError: hooks.onError,
    onNotice: hooks.onNotice,
  });
  return { queue, label: `${redactUrl(db.connectionString)} (schema ${settings.schema})`, source: db.source, notice: embeddedNotice(db) };
}
