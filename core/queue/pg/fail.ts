import type { Db } from './db.js';
import { statement } from './db.js';
import type { Failure } from '../types.js';
import { errorGroup } from '../errorGroup.js';

// A failed attempt goes back to 'available' after its backoff, or stays 'failed' once its attempts
// are used up or when another attempt cannot succeed (final); either way the error is kept, with when
// and its cause's group (for Failures by cause). A chain that failed at a `local:` step keeps that
// step and its input, where its next attempt starts; a failure that names no step (the chain's
// first) leaves the resume point as it was.
const FAIL = statement(`
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS i(id bigint, error text, stack text, retry_ms int, final boolean, resume_type text, resume_data jsonb, error_group text)
)
UPDATE {schema}.tasks t
SET state = CASE WHEN t.attempts >= t.max_attempts OR coalesce(i.final, false) THEN 'failed' ELSE 'available' END,
    run_at = CASE WHEN t.attempts >= t.max_attempts OR coalesce(i.final, false) THEN t.run_at ELSE now() + make_interval(secs => i.retry_ms / 1000.0) END,
    claimed_by = NULL, lease_until = NULL,
    last_error = i.error, last_error_stack = i.stack, error_group = i.error_group, failed_at = now(),
    resume_type = coalesce(i.resume_type, t.resume_type),
    resume_data = CASE WHEN i.resume_type IS NULL THEN t.resume_data ELSE coalesce(i.resume_data, 'null') END
FROM input i
WHERE t.id = i.id AND t.claimed_by = $2 AND t.state = 'claimed'
RETURNING t.id, t.state`);

const MAX_INT = 2 ** 31 - 1;

/** Postgres text cannot hold NUL; an error message is diagnostic, so it is shown rather than refused. */
const noNul = (s: string) => s.replaceAll('\u0000', '\uFFFD');

/** One failure as JSON; a resume point's input is already JSON text, spliced rather than parsed and serialised again. */
function failureJson(f: Failure): string {
  const row = JSON.stringify({
    id: f.id,
    error: noNul(f.error),
    stack: f.stack == null ? null : noNul(f.stack),
    retry_ms: Math.min(MAX_INT, Math.max(0, Math.round(f.retryInMs))),
    final: f.final === true,
    resume_type: f.resumeType ?? null,
    error_group: errorGroup(f.error, f.stack).key,
  });
  return f.resumeType == null || f.resumeDataJson == null ? row : `${row.slice(0, -1)},"resume_data":${f.resumeDataJson}}`;
}

export async function failTasks(db: Db, schema: string, droneId: string, failures: Failure[]): Promise<{ retried: number; failed: number }> {
  if (failures.length === 0) return { retried: 0, failed: 0 };
  const res = await db.query<{ state: string }>(FAIL(schema), [`[${failures.map(failureJson).join(',')}]`, droneId]);
  const failed = res.rows.filter((r) => r.state === 'failed').length;
  return { retried: res.rows.length - failed, failed };
}
