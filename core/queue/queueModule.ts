/** What a global-queue module is: how modules.ts opens one, and what it hands back. */
import type { ResolvedConfig } from '../config/load.js';
import type { DatabaseSource } from '../api/types.js';
import type { GlobalQueue } from './globalQueue.js';

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

/** Opens its queue from the config (the module's own part of it: queue.config). */
export type QueueModule = (config: ResolvedConfig, hooks: QueueHooks) => Promise<OpenedQueue>;
