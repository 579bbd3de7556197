/**
 * The global queue's modules, by the name the config gives in queue.module (as the seed's drone
 * took its queue as a module): each opens its queue from the config. The drone, the app and the
 * client reach the global queue only through here and the GlobalQueue interface.
 */
import type { ResolvedConfig } from '../config/load.js';
import type { DatabaseSource } from '../api/types.js';
import type { GlobalQueue } from './globalQueue.js';
import { openPostgresQueue } from './pg/module.js';
import { openRemoteQueue } from './remote/module.js';

export interface QueueHooks {
  /** A step of a slow open (the embedded Postgres starting), for the log. */
  onProgress?: (msg: string) => void;
  /** A pooled connection failed in the background (the pool replaces it). */
  onError?: (err: Error) => void;
  /** Something the queue found out about its connection (a pooler in transaction mode). */
  onNotice?: (msg: string) => void;
  /** Clients make fewer, smaller calls than a drone: fewer connections. */
  role?: 'drone' | 'client';
}

export interface OpenedQueue {
  queue: GlobalQueue;
  /** Where the queue is, for logs and the snapshot: never a password or a token. */
  label: string;
  source: DatabaseSource;
  /** A warning the user should see once (the embedded Postgres in use), or null. */
  notice: string | null;
}

type QueueModule = (config: ResolvedConfig, hooks: QueueHooks) => Promise<OpenedQueue>;

const MODULES: Record<ResolvedConfig['queue']['module'], QueueModule> = {
  postgres: openPostgresQueue,
  remote: openRemoteQueue,
};

export function openGlobalQueue(config: ResolvedConfig, hooks: QueueHooks = {}): Promise<OpenedQueue> {
  return MODULES[config.queue.module](config, hooks);
}
