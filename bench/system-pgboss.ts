/**
 * pg-boss 10.4.2 in this process, with a no-op handler. Filling uses boss.insert (one statement per
 * 10,000 jobs); single jobs go through boss.send from a second instance that only produces.
 *
 * pg-boss 10 has no LISTEN/NOTIFY: every worker polls (pollingIntervalSeconds, 2 s by default,
 * 0.5 s at least; see src/attorney.js) and, after a fetch, waits out the rest of the interval
 * before fetching again (src/worker.js). teamSize/teamConcurrency are gone in v10; what it offers
 * is work(name, { batchSize }) — the handler gets an array — and more workers by calling work()
 * again (docs: "Each call to work() will add a new worker").
 */
import type pg from 'pg';
import PgBoss from 'pg-boss';
import { LazyClient, now } from './env.js';
import { ENQUEUE_CHUNK, JOB, type QueueAdapter, type Running, type StartOptions, type SystemSpec } from './system.js';
import { Curve, Tally } from './tally.js';

export interface BossTuning {
  /** work() calls: each is one polling worker. */
  workers: number;
  batchSize?: number;
  pollingIntervalSeconds?: number;
}

/**
 * Chosen by trying a few on this machine (docs/performance.md): the fastest poll, 4 workers, and big
 * batches. A worker fetches at most once per poll interval, and each fetch sorts every waiting job
 * (pg-boss's index does not cover its ORDER BY), so fewer, bigger fetches win: 4 × 5,000 drained
 * 200,000 about twice as fast as 4 × 2,500 and three times as fast as 4 × 1,000.
 */
export const PGBOSS_TUNED: BossTuning = { workers: 4, batchSize: 5000, pollingIntervalSeconds: 0.5 };

export function pgBossSpec(tuned: boolean, tuning: BossTuning = PGBOSS_TUNED): SystemSpec {
  const t: BossTuning = tuned ? tuning : { workers: 1 };
  return {
    id: `pg-boss-${tuned ? 'tuned' : 'defaults'}`,
    family: 'pg-boss',
    label: `pg-boss ${tuned ? 'tuned' : 'defaults'}`,
    ours: false,
    settings: tuned ? { ...t } : {},
    // At its defaults (batchSize 1, a 2 s poll) a pg-boss worker runs one job every 2 seconds.
    capSeconds: tuned ? undefined : 10,
    make: (url) => new BossQueue(url, t),
  };
}

function onError(err: Error): void {
  process.stderr.write(`pg-boss: ${err.message}\n`);
}

class BossQueue implements QueueAdapter {
  readonly tables = ['pgboss.job'];
  private producer: PgBoss | null = null;
  private readonly sql: LazyClient;

  constructor(
    readonly url: string,
    readonly tuning: BossTuning,
  ) {
    this.sql = new LazyClient(url);
  }

  /** An instance that only creates the schema and produces jobs (no maintenance, no cron). */
  private async boss(): Promise<PgBoss> {
    if (!this.producer) {
      const b = new PgBoss({ connectionString: this.url, supervise: false, schedule: false, max: 2 });
      b.on('error', onError);
      await b.start();
      this.producer = b;
    }
    return this.producer;
  }

  async setup(): Promise<void> {
    const b = await this.boss();
    await b.createQueue(JOB);
  }

  async enqueue(n: number, db?: pg.ClientBase): Promise<void> {
    const b = await this.boss();
    // insert(jobs, { db }) runs pg-boss's own statement on the caller's connection (its documented hook).
    const options = db ? { db: { executeSql: (text: string, values: unknown[]) => db.query(text, values) } } : {};
    for (let from = 0; from < n; from += ENQUEUE_CHUNK) {
      const jobs = [];
      for (let i = from; i < Math.min(n, from + ENQUEUE_CHUNK); i++) jobs.push({ name: JOB, data: { n: i } });
      await b.insert(jobs, options);
    }
  }

  async enqueueOne(i: number): Promise<number> {
    const b = await this.boss();
    await b.send(JOB, { i });
    return now();
  }

  async remaining(): Promise<number> {
    const res = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`, [
      JOB,
    ]);
    return res.rows[0].n;
  }

  async reset(): Promise<void> {
    await this.sql.query('TRUNCATE pgboss.job, pgboss.archive');
  }

  async start(opts: StartOptions): Promise<Running> {
    const tally = new Tally();
    const seen = new Map<number, number>();
    const startedAt = now();
    const boss = new PgBoss({ connectionString: this.url });
    boss.on('error', onError);
    await boss.start();
    const { workers, ...workOptions } = this.tuning;
    const handler =
      opts.mode === 'latency'
        ? async (jobs: PgBoss.Job<object>[]) => {
            const t = now();
            for (const j of jobs) seen.set((j.data as { i: number }).i, t);
          }
        : async (jobs: PgBoss.Job<object>[]) => {
            tally.add(jobs.length);
          };
    for (let w = 0; w < workers; w++) await boss.work(JOB, workOptions, handler);
    return {
      startedAt,
      ready: Promise.resolve(),
      curve: () => new Curve([tally.points]),
      done: () => tally.count,
      seen: () => seen,
      stop: async () => {
        tally.close();
        await boss.stop({ graceful: true, wait: true, close: true, timeout: 10_000 });
      },
    };
  }

  async close(): Promise<void> {
    await this.producer?.stop({ graceful: false, wait: true, close: true });
    this.producer = null;
    await this.sql.end();
  }
}
