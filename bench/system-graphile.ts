/**
 * graphile-worker 0.18 in this process (as a Node application runs it), with a no-op task.
 * Filling sends the statement WorkerUtils.addJobs sends (graphile-worker's dist/helpers.js,
 * makeAddJobs: add_jobs over json_populate_recordset), 10,000 jobs per statement, here on our own
 * connection so that it can run inside a transaction; single jobs go through
 * `SELECT graphile_worker.add_job(...)`, the SQL a trigger or any client would use.
 */
import type pg from 'pg';
import { Logger, run, runMigrations, type Runner } from 'graphile-worker';
import { LazyClient, now } from './env.js';
import { ENQUEUE_CHUNK, JOB, type QueueAdapter, type Running, type StartOptions, type SystemSpec } from './system.js';
import { Curve, Tally } from './tally.js';

/**
 * graphile-worker's documented throughput knobs (https://worker.graphile.org/docs/performance; all
 * exist since 0.17, see GraphileConfig.WorkerOptions in its index.d.ts): concurrentJobs, maxPoolSize,
 * localQueue.size, completeJobBatchDelay, failJobBatchDelay, useNodeTime. The page's own
 * "Quick stats" preset (concurrentJobs 24, maxPoolSize 25, localQueue.size 500, both batch delays 0)
 * drained 50,000 here at 10,000–15,000 jobs/s; a bigger local queue did better, and these values
 * were the best of those tried on this machine (2 cores): 21,000–25,000 jobs/s.
 */
export const GRAPHILE_TUNED = {
  concurrentJobs: 8,
  maxPoolSize: 10,
  localQueue: { size: 5000 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
  useNodeTime: true,
} as const;

const quiet = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
});

/**
 * The tuning an earlier comparison (issue 19) used: 50 jobs at once, a local queue of 2,000,
 * completions sent at once. Benchmarked next to ours; whichever is faster is the one to beat.
 */
export const GRAPHILE_C50 = {
  concurrentJobs: 50,
  localQueue: { size: 2000 },
  completeJobBatchDelay: 0,
} as const;

export function graphileSpec(tuned: boolean, tuning: Record<string, unknown> = GRAPHILE_TUNED, variant?: { id: string; label: string }): SystemSpec {
  const settings: Record<string, unknown> = tuned ? { ...tuning } : {};
  return {
    id: variant ? `graphile-worker-${variant.id}` : `graphile-worker-${tuned ? 'tuned' : 'defaults'}`,
    family: 'graphile-worker',
    label: variant ? `graphile-worker ${variant.label}` : `graphile-worker ${tuned ? 'tuned' : 'defaults'}`,
    ours: false,
    settings,
    // At its defaults (one job at a time, a round trip to fetch and one to complete each) it does a
    // few hundred to a few thousand a second; a longer sample is cut and rated on what it did.
    capSeconds: tuned ? undefined : 30,
    make: (url) => new GraphileQueue(url, settings),
  };
}

class GraphileQueue implements QueueAdapter {
  readonly tables = ['graphile_worker._private_jobs'];
  private readonly sql: LazyClient;

  constructor(
    readonly url: string,
    readonly settings: Record<string, unknown>,
  ) {
    this.sql = new LazyClient(url);
  }

  async setup(): Promise<void> {
    await runMigrations({ connectionString: this.url, logger: quiet });
  }

  async enqueue(n: number, db?: pg.ClientBase): Promise<void> {
    for (let from = 0; from < n; from += ENQUEUE_CHUNK) {
      const specs = [];
      for (let i = from; i < Math.min(n, from + ENQUEUE_CHUNK); i++) specs.push({ identifier: JOB, payload: { n: i } });
      const text = 'select * from graphile_worker.add_jobs(array(select json_populate_recordset(null::graphile_worker.job_spec, $1::json)), $2::boolean)';
      const values = [JSON.stringify(specs), false];
      if (db) await db.query(text, values);
      else await this.sql.query(text, values);
    }
  }

  async enqueueOne(i: number): Promise<number> {
    await this.sql.query('SELECT graphile_worker.add_job($1, $2::json)', [JOB, JSON.stringify({ i })]);
    return now();
  }

  async remaining(): Promise<number> {
    return (await this.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')).rows[0].n;
  }

  async reset(): Promise<void> {
    await this.sql.query('TRUNCATE graphile_worker._private_jobs');
  }

  async start(opts: StartOptions): Promise<Running> {
    const tally = new Tally();
    const seen = new Map<number, number>();
    const task =
      opts.mode === 'latency'
        ? async (payload: unknown) => {
            const t = now();
            seen.set((payload as { i: number }).i, t);
          }
        : async () => {
            tally.add(1);
          };
    const startedAt = now();
    const runner: Runner = await run({
      connectionString: this.url,
      taskList: { [JOB]: task },
      noHandleSignals: true,
      logger: quiet,
      preset: { worker: { ...this.settings } },
    });
    return {
      startedAt,
      ready: Promise.resolve(),
      curve: () => new Curve([tally.points]),
      done: () => tally.count,
      seen: () => seen,
      stop: async () => {
        tally.close();
        await runner.stop();
      },
    };
  }

  async close(): Promise<void> {
    await this.sql.end();
  }
}
