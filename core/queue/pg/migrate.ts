import type pg from 'pg';
import { quoteIdent, withSchema } from './sql.js';
import m001 from './migrations/001_tasks.js';
import m002 from './migrations/002_replay_of.js';
import m003 from './migrations/003_postback_trace.js';
import m004 from './migrations/004_fleet_failures.js';
import m005 from './migrations/005_resume.js';
import m006 from './migrations/006_pooler.js';

/** Numbered, append-only. A migration never changes once released; add the next number instead. */
const MIGRATIONS: Array<{ id: number; name: string; sql: string }> = [
  { id: 1, name: '001_tasks', sql: m001 },
  { id: 2, name: '002_replay_of', sql: m002 },
  { id: 3, name: '003_postback_trace', sql: m003 },
  { id: 4, name: '004_fleet_failures', sql: m004 },
  { id: 5, name: '005_resume', sql: m005 },
  { id: 6, name: '006_pooler', sql: m006 },
];

const MIN_SERVER_VERSION = 140000;

/**
 * Applies what is missing, under an advisory lock so that many drones starting at once are safe.
 * When nothing is missing it only reads the migrations table: every drone and command calls this at
 * start, and a role that may only read and write the queue's rows (docs/deployment.md) must get past
 * it. DDL, even `CREATE SCHEMA IF NOT EXISTS` on a schema that exists, needs the right to create.
 */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number[]> {
  const s = quoteIdent(schema);
  const before = await appliedIds(client, s);
  if (before && MIGRATIONS.every((m) => before.has(m.id))) return [];
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`swarmage-migrate:${schema}`]);
    const { rows: version } = await client.query<{ num: number; text: string }>(
      `SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS text`,
    );
    // The claim functions are SQL-standard function bodies (migration 006).
    if (version[0].num < MIN_SERVER_VERSION) throw new Error(`swarmage needs PostgreSQL 14 or later; this server is ${version[0].text}`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.migrations (id int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ id: number }>(`SELECT id FROM ${s}.migrations`);
    const done = new Set(rows.map((r) => r.id));
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      await client.query(withSchema(schema, m.sql));
      await client.query(`INSERT INTO ${s}.migrations (id, name) VALUES ($1, $2)`, [m.id, m.name]);
      applied.push(m.id);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    if ((err as { code?: string }).code === '42501') throw notAllowed(err as Error, schema, before);
    throw err;
  }
  return applied;
}

/** The ids in the migrations table; null when there is no such schema or table yet. */
async function appliedIds(client: pg.ClientBase, s: string): Promise<Set<number> | null> {
  try {
    const { rows } = await client.query<{ id: number }>(`SELECT id FROM ${s}.migrations`);
    return new Set(rows.map((r) => r.id));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '3F000' || code === '42P01') return null; // invalid_schema_name, undefined_table
    throw err;
  }
}

/** A role that may use the queue but not change its schema, on a schema that is not up to date. */
function notAllowed(err: Error, schema: string, before: Set<number> | null): Error {
  const missing = MIGRATIONS.filter((m) => !before?.has(m.id)).map((m) => m.id);
  const what = before ? `needs migration(s) ${missing.join(', ')}` : 'does not exist yet';
  const e = new Error(
    `schema ${schema} ${what}, and this database role may not change it (${err.message}): run "swarmage migrate" once as the role that owns the schema`,
    { cause: err },
  );
  (e as Error & { code?: string }).code = '42501';
  return e;
}
