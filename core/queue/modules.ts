/**
 * The global queue's modules, by the name the config gives in queue.module (as the seed's drone
 * took its queue as a module): each opens its queue from the config. The drone, the app and the
 * client reach the global queue only through here and the GlobalQueue interface.
 */
import type { ResolvedConfig } from '../config/load.js';
import type { OpenedQueue, QueueHooks, QueueModule } from './queueModule.js';
import { openPostgresQueue } from './pg/module.js';
import { openRemoteQueue } from './remote/module.js';

const MODULES: Record<ResolvedConfig['queue']['module'], QueueModule> = {
  postgres: openPostgresQueue,
  remote: openRemoteQueue,
};

export type { OpenedQueue, QueueHooks };

export function openGlobalQueue(config: ResolvedConfig, hooks: QueueHooks = {}): Promise<OpenedQueue> {
  return MODULES[config.queue.module](config, hooks);
}
