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

/** Applies what is missing, under an advisory lock so that many drones starting at once are safe. */
export async function migrate(client: pg.ClientBase, schema: string): Promise<number[]> {
  const s = quoteIdent(schema);
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`swarmage-migrate:${schema}`]);
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
    throw err;
  }
  return applied;
}
