import type { Db } from './db.js';
import { statement } from './db.js';
import type { QueueTypeRow } from '../../api/types.js';

/**
 * Every type on the global queue with its counts, for the Queue view. It must stay cheap on a table
 * of millions while drones drain it, so nothing here scans the table: the types come from skip scans
 * of the partial indexes (one index probe per type), each count reads at most $1 index entries
 * (a count that reaches $1 is a lower bound, flagged "capped"), and the oldest due task is the first
 * entry of each priority in the claim index. The claimed rows are few: the drones' buffers.
 */
const OVERVIEW = statement(`
WITH RECURSIVE waiting_types AS (
  (SELECT type FROM {schema}.tasks WHERE state = 'available' ORDER BY type LIMIT 1)
  UNION ALL
  SELECT (SELECT t.type FROM {schema}.tasks t WHERE t.state = 'available' AND t.type > w.type ORDER BY t.type LIMIT 1)
  FROM waiting_types w WHERE w.type IS NOT NULL
), failed_types AS (
  (SELECT type FROM {schema}.tasks WHERE state = 'failed' ORDER BY type LIMIT 1)
  UNION ALL
  SELECT (SELECT t.type FROM {schema}.tasks t WHERE t.state = 'failed' AND t.type > f.type ORDER BY t.type LIMIT 1)
  FROM failed_types f WHERE f.type IS NOT NULL
), claimed_rows AS (
  SELECT type FROM {schema}.tasks WHERE state = 'claimed' LIMIT $1
), claimed AS (
  SELECT type, count(*)::int AS n FROM claimed_rows GROUP BY type
), live AS (
  SELECT id, task_types, stats FROM {schema}.drones WHERE heartbeat_at + make_interval(secs => lease_ms / 1000.0) > now()
), types AS (
  SELECT type FROM waiting_types WHERE type IS NOT NULL
  UNION SELECT type FROM failed_types WHERE type IS NOT NULL
  UNION SELECT type FROM claimed
  UNION SELECT unnest(task_types) FROM live
)
SELECT ty.type, w.ready, w.later, w.scanned, f.n AS failed, coalesce(c.n, 0) AS claimed,
  (SELECT count(*) FROM claimed_rows)::int AS claimed_total,
  (extract(epoch FROM now() - o.oldest) * 1000)::float8 AS oldest_ms,
  coalesce((SELECT array_agg(l.id ORDER BY l.id) FROM live l WHERE ty.type = ANY(l.task_types)), '{}') AS served_by,
  coalesce((SELECT sum((l.stats ->> ty.type)::float8) FROM live l WHERE l.stats ? ty.type), 0)::float8 AS processed
FROM types ty
LEFT JOIN claimed c ON c.type = ty.type
CROSS JOIN LATERAL (
  SELECT count(*) FILTER (WHERE x.run_at <= now())::int AS ready, count(*) FILTER (WHERE x.run_at > now())::int AS later, count(*)::int AS scanned
  FROM (SELECT t.run_at FROM {schema}.tasks t WHERE t.state = 'available' AND t.type = ty.type LIMIT $1) x
) w
CROSS JOIN LATERAL (
  SELECT count(*)::int AS n FROM (SELECT 1 FROM {schema}.tasks t WHERE t.state = 'failed' AND t.type = ty.type LIMIT $1) x
) f
CROSS JOIN LATERAL (
  WITH RECURSIVE prios AS (
    (SELECT t.priority FROM {schema}.tasks t WHERE t.state = 'available' AND t.type = ty.type ORDER BY t.priority DESC LIMIT 1)
    UNION ALL
    SELECT (SELECT t.priority FROM {schema}.tasks t WHERE t.state = 'available' AND t.type = ty.type AND t.priority < p.priority
            ORDER BY t.priority DESC LIMIT 1)
    FROM prios p WHERE p.priority IS NOT NULL
  )
  SELECT min(r.run_at) FILTER (WHERE r.run_at <= now()) AS oldest
  FROM prios p CROSS JOIN LATERAL (
    SELECT t.run_at FROM {schema}.tasks t WHERE t.state = 'available' AND t.type = ty.type AND t.priority = p.priority ORDER BY t.run_at LIMIT 1
  ) r
  WHERE p.priority IS NOT NULL
) o
WHERE ty.type IS NOT NULL
ORDER BY ty.type`);

/** Exactly how many tasks of a type are in each state: a full count, for when the overview's are capped. */
const COUNT = statement(`
SELECT count(*) FILTER (WHERE state = 'available' AND run_at <= now())::int AS available,
  count(*) FILTER (WHERE state = 'available' AND run_at > now())::int AS scheduled,
  count(*) FILTER (WHERE state = 'claimed')::int AS claimed,
  count(*) FILTER (WHERE state = 'failed')::int AS failed
FROM {schema}.tasks WHERE type = $1`);

const CLOCK = `SELECT floor(extract(epoch FROM now()) * 1000)::float8 AS now`;

/** The overview's rows; enqueuedPerSec needs two samples, so the caller fills it in. */
export async function overviewTypes(db: Db, schema: string, cap: number): Promise<QueueTypeRow[]> {
  const res = await db.query(OVERVIEW(schema), [cap]);
  return res.rows.map((r) => {
    const servedBy: string[] = r.served_by;
    return {
      type: r.type,
      available: r.ready,
      scheduled: r.later,
      claimed: r.claimed,
      failed: r.failed,
      capped: r.scanned >= cap || r.failed >= cap || r.claimed_total >= cap,
      oldestWaitingMs: r.oldest_ms === null ? null : Math.max(0, Math.round(r.oldest_ms)),
      processedPerSec: r.processed,
      enqueuedPerSec: null,
      servedBy,
      unserved: servedBy.length === 0 && r.ready > 0,
    };
  });
}

export async function countType(db: Db, schema: string, type: string): Promise<{ available: number; scheduled: number; claimed: number; failed: number }> {
  return (await db.query(COUNT(schema), [type])).rows[0];
}

export async function databaseClock(db: Db): Promise<number> {
  return (await db.query<{ now: number }>(CLOCK)).rows[0].now;
}
