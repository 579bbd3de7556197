/**
 * The ceiling this Postgres allows: no queue library, no job code — a bare table, claimed in
 * batches with UPDATE … FOR UPDATE SKIP LOCKED and deleted, on a few connections at once. Every
 * real queue does at least this much work per job (claim, then finish), usually more.
 */
import pg from 'pg';
import { LazyClient, now } from './env.js';
import { ENQUEUE_CHUNK, type QueueAdapter, type Running, type SystemSpec } from './system.js';
import { Curve, Tally } from './tally.js';

export const RAW_SQL = { connections: 2, batch: 1000 };

export function rawSqlSpec(): SystemSpec {
  return {
    id: 'raw-sql',
    family: 'raw-sql',
    label: 'raw SQL ceiling',
    ours: false,
    settings: {
      ...RAW_SQL,
      claim: 'UPDATE … WHERE id IN (SELECT … ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED) RETURNING',
      finish: 'DELETE … WHERE id = ANY($1)',
    },
    make: (url) => new RawQueue(url),
  };
}

const CLAIM = `
UPDATE raw_jobs SET locked_at = now()
WHERE id IN (SELECT id FROM raw_jobs WHERE locked_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, payload::text AS payload`;

class RawQueue implements QueueAdapter {
  readonly tables = ['raw_jobs'];
  private readonly sql: LazyClient;
  private next = 0;

  constructor(readonly url: string) {
    this.sql = new LazyClient(url);
  }

  async setup(): Promise<void> {
    await this.sql.query(`CREATE TABLE raw_jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL, locked_at timestamptz)`);
    await this.sql.query(`CREATE INDEX raw_jobs_free ON raw_jobs (id) WHERE locked_at IS NULL`);
  }

  async enqueue(n: number, db?: pg.ClientBase): Promise<void> {
    for (let from = 0; from < n; from += ENQUEUE_CHUNK) {
      const to = Math.min(n, from + ENQUEUE_CHUNK);
      const text = `INSERT INTO raw_jobs (payload) SELECT jsonb_build_object('n', g) FROM generate_series($1::int, $2::int) g`;
      const values = [this.next + from, this.next + to - 1];
      if (db) await db.query(text, values);
      else await this.sql.query(text, values);
    }
    this.next += n;
  }

  async enqueueOne(i: number): Promise<number> {
    await this.sql.query(`INSERT INTO raw_jobs (payload) VALUES (jsonb_build_object('i', $1::int))`, [i]);
    return now();
  }

  async remaining(): Promise<number> {
    return (await this.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_jobs')).rows[0].n;
  }

  async reset(): Promise<void> {
    await this.sql.query('TRUNCATE raw_jobs');
  }

  async start(): Promise<Running> {
    const tally = new Tally();
    const startedAt = now();
    let stopping = false;
    const clients: pg.Client[] = [];
    for (let i = 0; i < RAW_SQL.connections; i++) {
      const c = new pg.Client({ connectionString: this.url });
      await c.connect();
      clients.push(c);
    }
    const loops = clients.map(async (c) => {
      while (!stopping) {
        const { rows } = await c.query<{ id: string }>(CLAIM, [RAW_SQL.batch]);
        if (rows.length === 0) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        tally.add(rows.length);
        await c.query('DELETE FROM raw_jobs WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      }
    });
    return {
      startedAt,
      ready: Promise.resolve(),
      curve: () => new Curve([tally.points]),
      done: () => tally.count,
      seen: () => new Map(),
      stop: async () => {
        stopping = true;
        tally.close();
        await Promise.all(loops);
        await Promise.all(clients.map((c) => c.end()));
      },
    };
  }

  async close(): Promise<void> {
    await this.sql.end();
  }
}
