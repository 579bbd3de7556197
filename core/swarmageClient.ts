import os from 'node:os';
import crypto from 'node:crypto';
import { once } from 'node:events';
import { PgQueue } from './queue/pg/pgQueue.js';
import type { GlobalQueue } from './queue/globalQueue.js';
import { openGlobalQueue } from './queue/modules.js';
import type { NewTask, TaskProgress } from './queue/types.js';
import type { RequestFailure } from './api/types.js';
import { describeWait, type WaitStatus } from './queue/waitStatus.js';
import { embeddedNotice, resolveDatabase, resolveListenUrl } from './db/resolve.js';
import type { ResolvedConfig } from './config/load.js';
import { postgresSettings } from './config/schema.js';

export interface ClientOptions {
  /**
   * Default: the config's queue (queue.module: a gateway when "remote"); without a config, or for
   * "postgres": SWARMAGE_DATABASE_URL, then the config's connectionString, then the embedded server
   * (with a SwarmageWarning; an error under SWARMAGE_REQUIRE_DATABASE_URL=1).
   */
  connectionString?: string;
  /** For LISTEN only, when connectionString goes through a pooler in transaction mode. Default: SWARMAGE_LISTEN_DATABASE_URL, then the config's listenConnectionString. */
  listenConnectionString?: string;
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

/** A requested task used up its attempts: its last error and stack, as the worker reported them. */
export class TaskFailedError extends Error {
  override name = 'TaskFailedError';
  constructor(
    readonly taskId: string,
    readonly type: string,
    readonly attempts: number,
    readonly error: string,
    readonly workerStack: string | null,
  ) {
    super(`task ${taskId} (${type}) failed after ${attempts} attempt(s): ${error}`);
  }
}

export interface RequestOptions extends EnqueueOptions {
  timeoutMs?: number;
  onEnqueued?: (ids: string[]) => void;
  /** Called when what the wait is on changes (no drone serves the type, a retry is due later, …). */
  onStatus?: (status: WaitStatus) => void;
}

/** One task of requestEach: its answer, or its last error, or neither within the time. */
export interface RequestOutcome {
  id: string;
  state: 'answered' | 'failed' | 'timedOut';
  result: unknown;
  ms: number;
  failure: RequestFailure | null;
}

/** A program's database, resolved as the CLI's is; a library has no stderr of its own to say "embedded" on, so Node's warnings say it. */
async function resolvedForClient(config: ResolvedConfig | null): Promise<string> {
  const db = await resolveDatabase(config);
  const notice = embeddedNotice(db);
  if (notice) process.emitWarning(notice, 'SwarmageWarning');
  return db.connectionString;
}

/** How often a waiting request looks at its tasks: a failure sends no notification. */
const CHECK_MS = 1000;
/** How long a request waits for its wake-ups to be listened for before it enqueues (without, it polls). */
const LISTEN_WAIT_MS = 5000;

/** For programs that put work on the global queue and, like post_respond in the original Swarmage, wait for answers. */
export class SwarmageClient {
  private constructor(readonly queue: GlobalQueue) {}

  /** A client over a queue someone else owns (the drone's): close() is theirs to call. */
  static over(queue: GlobalQueue): SwarmageClient {
    return new SwarmageClient(queue);
  }

  static async connect(opts: ClientOptions = {}): Promise<SwarmageClient> {
    const config = opts.config ?? null;
    let queue: GlobalQueue;
    if (config && !opts.connectionString && (config.queue.module !== 'postgres' || !opts.schema)) {
      const opened = await openGlobalQueue(config, { role: 'client' });
      if (opened.notice) process.emitWarning(opened.notice, 'SwarmageWarning');
      queue = opened.queue;
    } else {
      queue = new PgQueue({
        connectionString: opts.connectionString ?? (await resolvedForClient(config)),
        listenConnectionString: opts.listenConnectionString ?? resolveListenUrl(config),
        schema: opts.schema ?? postgresSettings(config)?.schema ?? 'swarmage',
        poolSize: 2,
      });
    }
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
  async request(type: string, data?: unknown, opts: RequestOptions = {}): Promise<unknown> {
    const [result] = await this.requestMany(type, [data], opts);
    return result;
  }

  /**
   * Enqueues one task per payload, all with one unique postback type, and waits (LISTEN for the
   * answers; every second a look at the tasks) until every answer is back. Answers come in
   * completion order. A task that used up its attempts ends the wait at once with a TaskFailedError;
   * a timeout says what the wait was on (RequestTimeoutError).
   */
  async requestMany(type: string, payloads: unknown[], opts: RequestOptions = {}): Promise<unknown[]> {
    const results: unknown[] = [];
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const tasks = payloads.map((data) => ({ type, data, priority: opts.priority, runAt: opts.runAt, maxAttempts: opts.maxAttempts }));
    const { waiting, status } = await this.collect(tasks, timeoutMs, {
      ...opts,
      onAnswer: (_id, result) => results.push(result),
      onFailed: (failed) => {
        throw new TaskFailedError(failed.id, type, failed.attempts, failed.error ?? 'failed', failed.stack);
      },
    });
    if (waiting.size > 0) {
      const ofWhich = waiting.size <= 10 ? [...waiting].join(', ') : `${[...waiting].slice(0, 10).join(', ')}, …`;
      throw new RequestTimeoutError(
        `no answer for ${payloads.length - results.length} of ${payloads.length} ${type} task(s) (ids ${ofWhich}) within ${timeoutMs} ms: ${status?.message ?? 'no answer yet'}. The tasks stay on the queue.`,
      );
    }
    return results;
  }

  /**
   * Like requestMany, for tasks of any types, and never throwing for one task: each gets its outcome
   * (answered, failed after its last attempt, or timed out), in the order given. `ms` counts from
   * the enqueue to when the answer was seen.
   */
  async requestEach(
    tasks: Array<Omit<NewTask, 'postback'>>,
    opts: { timeoutMs?: number; onEnqueued?: (ids: string[]) => void } = {},
  ): Promise<RequestOutcome[]> {
    const started = Date.now();
    const done = new Map<string, RequestOutcome>();
    const { ids } = await this.collect(tasks, opts.timeoutMs ?? 30_000, {
      onEnqueued: opts.onEnqueued,
      onAnswer: (id, result) => done.set(id, { id, state: 'answered', result, ms: Date.now() - started, failure: null }),
      onFailed: (t) =>
        done.set(t.id, {
          id: t.id,
          state: 'failed',
          result: null,
          ms: Date.now() - started,
          failure: { error: t.error ?? 'failed', stack: t.stack, attempts: t.attempts },
        }),
    });
    return ids.map((id) => done.get(id) ?? { id, state: 'timedOut', result: null, ms: Date.now() - started, failure: null });
  }

  /**
   * The wait behind both: enqueues the tasks with one unique postback, then reports each answer and
   * each task that used up its attempts, until none is left or the time is up. Returns the ids in
   * the order given, those still waiting, and the last wait status (of the first task's type).
   */
  private async collect(
    tasks: Array<Omit<NewTask, 'postback'>>,
    timeoutMs: number,
    on: Pick<RequestOptions, 'onEnqueued' | 'onStatus'> & {
      onAnswer: (id: string, result: unknown) => void;
      onFailed: (task: TaskProgress['tasks'][number]) => void;
    },
  ): Promise<{ ids: string[]; waiting: Set<string>; status: WaitStatus | null }> {
    const postback = `postback-${os.hostname()}-${process.pid}-${Date.now()}-${crypto.randomBytes(4).toString('hex')}`;
    const type = tasks[0]?.type ?? '';
    // Answers are looked for every second anyway; a wake-up makes them seen at once.
    const wakeups = this.queue.wakeups({ check: false });
    let wake: () => void = () => {};
    wakeups.on('notify', (t) => {
      if (t === postback) wake();
    });
    // Listening before the enqueue, so that no answer's wake-up is missed; a listener that cannot
    // connect does not hold the request up (the look every second finds the answers).
    const settled = new AbortController();
    const listening = [once(wakeups, 'connected', { signal: settled.signal }), once(wakeups, 'disconnected', { signal: settled.signal })];
    wakeups.start();
    await Promise.race([...listening, new Promise((r) => setTimeout(r, LISTEN_WAIT_MS).unref())]).catch(() => {});
    settled.abort();
    for (const p of listening) p.catch(() => {});
    try {
      const ids = await this.queue.enqueue(tasks.map((t) => ({ ...t, postback })));
      on.onEnqueued?.(ids);
      const deadline = Date.now() + timeoutMs;
      const waiting = new Set(ids);
      let status: WaitStatus | null = null;
      // The first look after a second: most answers come sooner.
      let checkedAt = Date.now();
      while (waiting.size > 0) {
        // A postback carries its task's id as its trace id.
        for (const r of await this.queue.takePostbacks(postback, waiting.size)) {
          if (r.traceId && waiting.delete(r.traceId)) on.onAnswer(r.traceId, JSON.parse(r.dataJson));
        }
        if (waiting.size === 0) break;
        if (Date.now() - checkedAt >= CHECK_MS) {
          checkedAt = Date.now();
          const progress = await this.queue.progress([...waiting], type);
          for (const t of progress.tasks) {
            if (t.state !== 'failed') continue;
            waiting.delete(t.id);
            on.onFailed(t);
          }
          if (waiting.size === 0) break;
          const now = describeWait(progress, type);
          if (now.message !== status?.message) on.onStatus?.(now);
          status = now;
        }
        const left = deadline - Date.now();
        if (left <= 0) return { ids, waiting, status };
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, CHECK_MS));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      return { ids, waiting, status };
    } finally {
      await wakeups.stop();
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
