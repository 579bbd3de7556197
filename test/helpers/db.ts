import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { ensureEmbedded } from '../../core/db/embedded.js';

/**
 * A real Postgres for the tests: one embedded server for the whole run (the first test file starts
 * it, the rest find it), and a fresh schema per test so tests never see each other's rows.
 * TEST_DATABASE_URL points the tests at another server instead. Its folder is "pgs" since the server
 * moved from TCP to a Unix socket: a server left in "pg" by an older checkout keeps running undisturbed.
 */
export async function testDatabaseUrl(): Promise<string> {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  return ensureEmbedded(testEmbedded());
}

/**
 * The tests' embedded server as queue.config.embedded names it: a config with these options and no
 * URL runs on the embedded Postgres as a user's first run does, without starting another server.
 */
export function testEmbedded(): { dataDir: string; port: number } {
  const uid = process.getuid?.() ?? 0;
  return { dataDir: path.join(os.tmpdir(), `swarmage-test-${uid}`, 'pgs'), port: Number(process.env.TEST_PG_PORT ?? 55439) };
}

export function freshSchema(): string {
  return `t_${crypto.randomBytes(6).toString('hex')}`;
}

/** A plain client for assertions: tests look at the table directly, as any user could. */
export async function sqlClient(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}
