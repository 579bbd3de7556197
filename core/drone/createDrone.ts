import type { ResolvedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { DatabaseSource } from '../api/types.js';
import { openLocalQueue } from '../queue/local/droneLocalQueue.js';
import { PgQueue } from '../queue/pg/pgQueue.js';
import { WorkerPool } from '../workers/pool.js';
import { redactUrl } from '../util/redact.js';
import { resolveListenUrl } from '../db/resolve.js';
import { Drone } from './drone.js';

export interface CreateDroneOptions {
  config: ResolvedConfig;
  connectionString: string;
  /** Where connectionString came from (resolveDatabase says), for the snapshot. */
  databaseSource: DatabaseSource;
  logger: Logger;
  /** Restart a type's workers when their module file changes (dev mode). */
  hotReload?: boolean;
}

/** A drone on Postgres, with its workers and its local queue, as the CLI and the app run it. */
export function createDrone(opts: CreateDroneOptions): Drone<PgQueue> {
  const { config } = opts;
  // Connections that fail in the background count against the database's health like any failed query.
  let drone: Drone<PgQueue> | null = null;
  const queue = new PgQueue({
    connectionString: opts.connectionString,
    schema: config.queue.config.schema,
    poolSize: config.queue.config.poolSize,
    asyncClaimCommit: config.queue.config.asyncClaimCommit,
    listenConnectionString: resolveListenUrl(config),
    onError: (err) => drone?.health.idleConnectionFailed(err),
    onNotice: (msg) => drone?.log.info(msg),
  });
  drone = new Drone({
    config,
    logger: opts.logger,
    queue,
    pool: new WorkerPool(config.workers, opts.logger),
    openLocalQueue,
    databaseLabel: redactUrl(opts.connectionString),
    databaseSource: opts.databaseSource,
    hotReload: opts.hotReload,
  });
  return drone;
}
