import type Database from 'better-sqlite3';
import { LocalQueueError } from './types.js';
import m001 from './migrations/001_steps.js';
import m002 from './migrations/002_history.js';
import m003 from './migrations/003_logs_replays.js';
import m004 from './migrations/004_final_resumed.js';
import m005 from './migrations/005_answers.js';

/**
 * Numbered, append-only, like the global queue's: a migration never changes once released; add the
 * next number instead. A file's user_version is the number of the last one it has.
 */
export const MIGRATIONS: ReadonlyArray<{ id: number; name: string; sql: string }> = [
  { id: 1, name: '001_steps', sql: m001 },
  { id: 2, name: '002_history', sql: m002 },
  { id: 3, name: '003_logs_replays', sql: m003 },
  { id: 4, name: '004_final_resumed', sql: m004 },
  { id: 5, name: '005_answers', sql: m005 },
];

/** The format this code writes. */
export const FORMAT = MIGRATIONS[MIGRATIONS.length - 1].id;

/** Creates the tables, or brings a file of an older format up to this one, in one transaction. */
export function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > FORMAT) throw new LocalQueueError(`local queue ${file} was written by a newer swarmage (format ${version}; this one knows ${FORMAT})`);
  if (version === FORMAT) return;
  db.transaction(() => {
    for (const m of MIGRATIONS) {
      if (m.id <= version) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.id}`);
    }
  })();
}
