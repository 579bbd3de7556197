import type { ResolvedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { openLocalQueue } from '../queue/local/droneLocalQueue.js';
import { openGlobalQueue } from '../queue/modules.js';
import { WorkerPool } from '../workers/pool.js';
import { Drone } from './drone.js';

export interface CreateDroneOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** Restart a type's workers when their module file changes (dev mode). */
  hotReload?: boolean;
}

/**
 * A drone on the global queue its config names (queue.module), with its workers and its local
 * queue, as the CLI and the app run it. Not started: the caller starts it, or closes its queue.
 */
export async function createDrone(opts: CreateDroneOptions): Promise<Drone> {
  const { config, logger } = opts;
  // Connections that fail in the background count against the queue's health like any failed call.
  let drone: Drone | null = null;
  const opened = await openGlobalQueue(config, {
    onProgress: (msg) => logger.info(msg),
    onError: (err) => drone?.health.idleConnectionFailed(err),
    onNotice: (msg) => drone?.log.info(msg),
  });
  if (opened.notice) logger.warn(opened.notice);
  drone = new Drone({
    config,
    logger,
    queue: opened.queue,
    pool: new WorkerPool(config.workers, logger),
    openLocalQueue,
    databaseLabel: opened.label,
    databaseSource: opened.source,
    hotReload: opts.hotReload,
  });
  return drone;
}
