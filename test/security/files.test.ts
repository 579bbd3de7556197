import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { SwarmageClient } from '../../core/swarmageClient.js';
import { testDatabaseUrl, freshSchema } from '../helpers/db.js';
import { demoDroneDir } from '../helpers/demo.js';
import { call, startService } from '../helpers/service.js';
import { BIN, tmpDir, waitFor } from '../helpers/tmp.js';
import { LocalQueue } from '../../core/queue/local/localQueue.js';
import { FileSink } from '../../core/log/logger.js';

/**
 * The files a drone writes hold task data (the local queue, the log) or secrets (a saved config may
 * hold a connectionString with its password). Under umask 000 every one of them would be created
 * world-readable and writable unless the drone sets the modes itself.
 */
const mode = (file: string) => fs.statSync(file).mode & 0o777;
const octal = (m: number) => m.toString(8).padStart(4, '0');

function assertMode(file: string, expected: number): void {
  assert.equal(octal(mode(file)), octal(expected), `${file}: mode`);
}

describe("files the drone creates are its owner's alone, whatever the umask", () => {
  let url: string;
  before(async () => {
    url = await testDatabaseUrl();
  });

  it('a `swarmage drone` under umask 000: the local queue, its WAL, the log file 0600, the folders it made 0700', async () => {
    const schema = freshSchema();
    const { dir, file } = demoDroneDir(url, schema, 'swarmage.config.json', {
      extra: { localQueue: { path: 'state/queue/local.sqlite' }, log: { file: 'logs/drone.log' } },
    });
    // The user's own folder is shared on purpose: the drone must leave its mode alone.
    fs.chmodSync(dir, 0o755);
    const drone = spawn('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, BIN, 'drone', '--config', file], {
      env: { ...process.env, SWARMAGE_DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    drone.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => drone.on('exit', (code) => r(code)));
    try {
      await waitFor('the drone to run', () => /drone \S+ running/.test(log), 60_000);
      // A task through the local queue, so that SQLite has written its WAL.
      const client = await SwarmageClient.connect({ connectionString: url, schema });
      try {
        assert.equal(await client.request('factorial', 5, { timeoutMs: 60_000 }), '78');
      } finally {
        await client.close();
      }
      const sqlite = path.join(dir, 'state/queue/local.sqlite');
      // No -shm here: in exclusive locking mode SQLite keeps the WAL index in memory (see the next test).
      for (const f of [sqlite, `${sqlite}-wal`, path.join(dir, 'logs/drone.log')]) assertMode(f, 0o600);
      for (const d of ['state', 'state/queue', 'logs']) assertMode(path.join(dir, d), 0o700);
      assertMode(dir, 0o755);
      assert.match(fs.readFileSync(path.join(dir, 'logs/drone.log'), 'utf8'), /running/);
    } finally {
      drone.kill('SIGINT');
      assert.equal(await exited, 0, log);
    }
  });

  it('a local queue left readable by an older version (file, -wal, -shm) is tightened to 0600 when opened', () => {
    const umask = process.umask(0);
    try {
      const file = path.join(tmpDir(), 'local.sqlite');
      new LocalQueue(file).close();
      assertMode(file, 0o600);
      fs.chmodSync(file, 0o644);
      // What a version without exclusive locking leaves beside it.
      fs.writeFileSync(`${file}-wal`, '');
      fs.writeFileSync(`${file}-shm`, '');
      fs.chmodSync(`${file}-wal`, 0o666);
      fs.chmodSync(`${file}-shm`, 0o666);
      const q = new LocalQueue(file);
      try {
        for (const f of [file, `${file}-wal`, `${file}-shm`]) assertMode(f, 0o600);
      } finally {
        q.close();
      }
    } finally {
      process.umask(umask);
    }
  });

  it('a log file that is a symbolic link is refused, not followed', () => {
    const dir = tmpDir();
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'untouched');
    fs.symlinkSync(victim, path.join(dir, 'drone.log'));
    assert.throws(() => new FileSink(path.join(dir, 'drone.log')), new RegExp(`^Error: log\\.file ${dir}/drone\\.log is a symbolic link`));
    assert.equal(fs.readFileSync(victim, 'utf8'), 'untouched');
  });

  it('saving the config through the API keeps its mode, creates a new one 0600, and never writes through a planted link', async () => {
    const umask = process.umask(0);
    try {
      const schema = freshSchema();
      const { service, dir, file } = await startService(url, schema);
      try {
        const text = fs.readFileSync(file, 'utf8');
        const edited = (n: number) => JSON.stringify({ ...JSON.parse(text), pollIntervalMs: 200 + n }, null, 2);

        // A 0640 config (shared with a group on purpose) stays 0640.
        fs.chmodSync(file, 0o640);
        // The temp path an older version used, predictable from the pid: a link there to a victim file.
        const victim = path.join(dir, 'victim.txt');
        fs.writeFileSync(victim, 'untouched');
        const planted = `${file}.${process.pid}.tmp`;
        fs.symlinkSync(victim, planted);

        assert.equal((await call(service, 'config.apply', { text: edited(1), save: true })).ok, true);
        assertMode(file, 0o640);
        assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pollIntervalMs, 201);
        assert.equal(fs.readFileSync(victim, 'utf8'), 'untouched');
        assert.equal(fs.readlinkSync(planted), victim);
        assert.deepEqual(
          fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') && f !== path.basename(planted)),
          [],
          'no temp file left behind',
        );

        // A user's config that root's drone saves stays the user's.
        if (process.getuid?.() === 0) {
          fs.chownSync(file, 65534, 65534);
          assert.equal((await call(service, 'config.apply', { text: edited(3), save: true })).ok, true);
          assert.deepEqual([fs.statSync(file).uid, fs.statSync(file).gid], [65534, 65534]);
          assertMode(file, 0o640);
        }

        // A config that is a link (kept with the user's dotfiles) stays a link; what it points to is replaced.
        const real = path.join(dir, 'dotfiles', 'swarmage.json');
        fs.mkdirSync(path.dirname(real));
        fs.renameSync(file, real);
        fs.symlinkSync(real, file);
        assert.equal((await call(service, 'config.apply', { text: edited(4), save: true })).ok, true);
        assert.ok(fs.lstatSync(file).isSymbolicLink());
        assert.equal(JSON.parse(fs.readFileSync(real, 'utf8')).pollIntervalMs, 204);
        assertMode(real, 0o640);

        // A config saved where none is (the file was removed meanwhile) is created 0600, not 0666.
        fs.rmSync(file);
        assert.equal((await call(service, 'config.apply', { text: edited(2), save: true })).ok, true);
        assertMode(file, 0o600);
        assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pollIntervalMs, 202);
      } finally {
        await service.stop();
      }
    } finally {
      process.umask(umask);
    }
  });
});
