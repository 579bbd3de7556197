import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { freshSchema } from '../helpers/db.js';
import { tmpDir } from '../helpers/tmp.js';
import { enqueueAll } from '../helpers/fleet.js';
import { droneConfig, faultScenario, ledgerWorker } from '../helpers/scenario.js';

/**
 * The local queue cannot be written at start: a read-only directory, a full disk, a path under a
 * regular file, an existing file on a file system that became read-only. The drone must stop with
 * one clear error naming the path and the reason, before it claims anything.
 *
 * Read-only and full file systems are real mounts (tmpfs, read-only bind mounts), so this needs
 * root; as root chmod would not stop anything. Without root those cases are skipped, saying why.
 */
const SCENARIO = 'local-queue';
const isRoot = process.getuid?.() === 0;

describe('faults: the local queue cannot be written at start', () => {
  const sc = faultScenario(SCENARIO, 'local queue unwritable at start: read-only dir, full disk, path under a file, read-only existing file');
  const { fig } = sc;
  const mounts: string[] = [];
  sc.atEnd(() => {
    for (const m of mounts.reverse()) {
      try {
        execFileSync('umount', [m]);
      } catch {
        execFileSync('umount', ['-l', m]);
      }
    }
    fig.rounds = 1;
  });

  function mount(args: string[], dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('mount', [...args, dir]);
    mounts.push(dir);
  }

  /** Runs a drone whose local queue is `localPath`; it must exit 1 with `expected` on stderr and claim nothing. */
  async function refusesToStart(localPath: string, expected: RegExp) {
    const { url, sql } = sc;
    const schema = freshSchema();
    await enqueueAll(
      url,
      schema,
      Array.from({ length: 5 }, (_, i) => ({ type: 'a', data: { i }, postback: 'done' })),
    );
    const fleet = sc.fleet(`${SCENARIO}-${sc.fleets.length + 1}`);
    const d = fleet.start(
      'local',
      tmpDir(),
      droneConfig(schema, {
        workers: { a: ledgerWorker(path.join(tmpDir(), 'runs.txt')) },
        pollIntervalMs: 100,
        localQueue: { path: localPath },
      }),
    );
    const end = await Promise.race([d.ended, new Promise((r) => setTimeout(r, 60_000, 'still running').unref())]);
    fig.badInputsTried++;
    assert.deepEqual(end, { code: 1, signal: null }, d.output());
    const lines = d.output().trim().split('\n');
    assert.ok(lines.at(-1)!.includes(localPath), `the last line names ${localPath}: ${lines.at(-1)}`);
    assert.match(lines.at(-1)!, expected);
    console.log(`# ${lines.at(-1)}`);
    const rows = (await sql.query(`SELECT state, attempts, claimed_by FROM "${schema}".tasks`)).rows;
    assert.equal(rows.length, 5);
    for (const row of rows) assert.deepEqual(row, { state: 'available', attempts: 0, claimed_by: null }, 'nothing claimed');
    const drones = (await sql.query(`SELECT count(*)::int AS n FROM "${schema}".drones`)).rows[0].n;
    assert.equal(drones, 0, 'never registered');
    fig.badInputsRejected++;
    await sql.query(`DROP SCHEMA "${schema}" CASCADE`);
  }

  it('a directory that is not writable (read-only mount): names the path and says read-only', { skip: !isRoot && 'needs root to mount' }, async () => {
    const base = tmpDir();
    fs.mkdirSync(path.join(base, 'src'));
    mount(['--bind', '-o', 'ro', path.join(base, 'src')], path.join(base, 'ro'));
    await refusesToStart(path.join(base, 'ro', 'local.sqlite'), /read-only|not writable/i);
  });

  it('a full disk (a 64 KiB tmpfs, filled): names the path and says the disk is full', { skip: !isRoot && 'needs root to mount' }, async () => {
    const dir = path.join(tmpDir(), 'full');
    mount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs'], dir);
    const fd = fs.openSync(path.join(dir, 'filler'), 'w');
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    await refusesToStart(path.join(dir, 'local.sqlite'), /full|ENOSPC|no space/i);
  });

  it('a path under a regular file (ENOTDIR)', async () => {
    const file = path.join(tmpDir(), 'a-file');
    fs.writeFileSync(file, 'not a directory');
    await refusesToStart(path.join(file, 'local.sqlite'), /not a directory|ENOTDIR/i);
  });

  it('an existing local queue on a file system that became read-only', { skip: !isRoot && 'needs root to mount' }, async () => {
    const dir = path.join(tmpDir(), 'fs');
    mount(['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs'], dir);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(dir, 'local.sqlite'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    db.close();
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    await refusesToStart(path.join(dir, 'local.sqlite'), /read-only|not writable|readonly/i);
  });
});
