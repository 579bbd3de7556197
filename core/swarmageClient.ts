import os from 'node:os';
import crypto from 'node:crypto';
import pg from 'pg';
import { PgQueue } from './queue/pg/pgQueue.js';
import { channelFor, quoteIdent } from './queue/pg/sql.js';
import type { NewTask } from './queue/types.js';
import { resolveDatabase } from './db/resolve.js';
import type { ResolvedConfig } from './config/load.js';

export interface ClientOptions {
  /** Default: SWARMAGE_DATABASE_URL, then the config's connectionString, then the embedded server. */
  connectionString?: string;
  schema?: string;
  config?: ResolvedConfig | null;
  /** Create or update the schema first (default true). */
  migrate?: boolean;
}

export interface EnqueueOptions {
  postback?: string | null;
  priority?: number;
  runAt?: Date;
  maxAttempts?: number;
}

export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
}

/** For programs that put work on the global queue and, like post_respond in the original Swarmage, wait for answers. */
export class SwarmageClient {
  private constructor(readonly queue: PgQueue) {}

  /** A client over a queue someone else owns (the drone's): close() is theirs to call. */
  static over(queue: PgQueue): SwarmageClient {
    return new SwarmageClient(queue);
  }

  static async connect(opts: ClientOptions = {}): Promise<SwarmageClient> {
    const connectionString = opts.connectionString ?? (await resolveDatabase(opts.config ?? null)).connectionString;
    const queue = new PgQueue({ connectionString, schema: opts.schema ?? opts.config?.queue.config.schema ?? 'swarmage', poolSize: 2 });
    try {
      if (opts.migrate !== false) await queue.migrate();
    } catch (err) {
      await queue.close();
      throw err;
    }
    return new SwarmageClient(queue);
  }

  async enqueue(type: string, data?: unknown, opts: EnqueueOptions = {}): Promise<string> {
    const [id] = await this.queue.enqueue([{ type, data, ...opts }]);
    return id;
  }

  enqueueMany(tasks: NewTask[]): Promise<string[]> {
    return this.queue.enqueue(tasks);
  }

  /** Enqueues a task with a unique postback and waits for its result. */
  async request(type: string, data?: unknown, opts: EnqueueOptions & { timeoutMs?: number } = {}): Promise<unknown> {
    const [result] = await this.requestMany(type, [data], opts);
    return result;
  }

  /**
   * Enqueues one task per payload, all with one unique postback type, and waits (LISTEN, with a
   * slow safety check) until every answer is back. Answers come in completion order.
   */
  async requestMany(
    type: string,
    payloads: unknown[],
    opts: EnqueueOptions & { timeoutMs?: number; onEnqueued?: (ids: string[]) => void } = {},
  ): Promise<unknown[]> {
    const postback = `postback-${os.hostname()}-${process.pid}-${Date.now()}-${crypto.randomBytes(4).toString('hex')}`;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const listener = new pg.Client({ connectionString: this.queue.connectionString });
    listener.on('error', () => {});
    await listener.connect();
    const results: unknown[] = [];
    try {
      await listener.query(`LISTEN ${quoteIdent(channelFor(this.queue.schema))}`);
      let wake: () => void = () => {};
      listener.on('notification', (m) => {
        if (m.payload === postback) wake();
      });
      const ids = await this.queue.enqueue(
        payloads.map((data) => ({ type, data, postback, priority: opts.priority, runAt: opts.runAt, maxAttempts: opts.maxAttempts })),
      );
      opts.onEnqueued?.(ids);
      const deadline = Date.now() + timeoutMs;
      while (results.length < payloads.length) {
        const got = await this.queue.takePostbacks(postback, payloads.length - results.length);
        for (const r of got) results.push(JSON.parse(r.dataJson));
        if (results.length >= payloads.length) break;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new RequestTimeoutError(
            `no answer for ${payloads.length - results.length} of ${payloads.length} ${type} task(s) (ids ${ids.join(', ')}) within ${timeoutMs} ms; is a drone serving "${type}" running? The tasks stay queued.`,
          );
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 2000));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    } finally {
      await listener.end().catch(() => {});
    }
    return results;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
