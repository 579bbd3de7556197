import type { Db } from './db.js';
import { statement } from './db.js';
import type { Failure } from '../types.js';
import { errorGroup } from '../errorGroup.js';

// A failed attempt goes back to 'available' after its backoff, or stays 'failed' once its attempts
// are used up; either way the error is kept, with when and its cause's group (for Failures by cause).
const FAIL = statement(`
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(id bigint, error text, stack text, retry_ms int, error_group text)
)
UPDATE {schema}.tasks t
SET state = CASE WHEN t.attempts >= t.max_attempts THEN 'failed' ELSE 'available' END,
    run_at = CASE WHEN t.attempts >= t.max_attempts THEN t.run_at ELSE now() + make_interval(secs => i.retry_ms / 1000.0) END,
    claimed_by = NULL, lease_until = NULL,
    last_error = i.error, last_error_stack = i.stack, error_group = i.error_group, failed_at = now()
FROM input i
WHERE t.id = i.id AND t.claimed_by = $2 AND t.state = 'claimed'
RETURNING t.id, t.state`);

const MAX_INT = 2 ** 31 - 1;

/** Postgres text cannot hold NUL; an error message is diagnostic, so it is shown rather than refused. */
const noNul = (s: string) => s.replaceAll('\u0000', '\uFFFD');

export async function failTasks(db: Db, schema: string, droneId: string, failures: Failure[]): Promise<{ retried: number; failed: number }> {
  if (failures.length === 0) return { retried: 0, failed: 0 };
  const json = JSON.stringify(
    failures.map((f) => ({
      id: f.id,
      error: noNul(f.error),
      stack: f.stack == null ? null : noNul(f.stack),
      retry_ms: Math.min(MAX_INT, Math.max(0, Math.round(f.retryInMs))),
      error_group: errorGroup(f.error, f.stack).key,
    })),
  );
  const res = await db.query<{ state: string }>(FAIL(schema), [json, droneId]);
  const failed = res.rows.filter((r) => r.state === 'failed').length;
  return { retried: res.rows.length - failed, failed };
}
