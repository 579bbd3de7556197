import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { BIN, FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';
import { PgQueue } from '../../core/queue/pg/pgQueue.js';

/**
 * Ctrl-C in a terminal, `kill %1` and systemd's default stop signal the drone's whole process
 * group, its workers included: the drone alone decides when a worker stops, so a running task
 * finishes within the grace period instead of failing an attempt.
 */
describe('a signal to the whole process group', () => {
  let url: string;
  before(async () => {
    url = await testDatabaseUrl();
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: the running task finishes and is acknowledged, the drone exits 0`, async () => {
      const dir = tmpDir();
      const schema = freshSchema();
      const record = path.join(dir, 'record.txt');
      const config = {
        queue: { config: { schema } },
        workers: { slow: { module: path.join(FIXTURES, 'workers/record.js'), config: { file: record, delayMs: 1500 } } },
        localQueue: { path: path.join(dir, 'local.sqlite') },
        pollIntervalMs: 200,
      };
      fs.writeFileSync(path.join(dir, 'swarmage.config.json'), JSON.stringify(config));
      const queue = new PgQueue({ connectionString: url, schema });
      await queue.migrate();
      // Its own process group, as a shell gives a job: the group's id is the drone's pid.
      const proc = spawn(process.execPath, [BIN, 'drone', '--config', path.join(dir, 'swarmage.config.json')], {
        env: { ...process.env, SWARMAGE_DATABASE_URL: url },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let out = '';
      proc.stdout!.on('data', (d) => (out += d));
      proc.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
      try {
        await waitFor('the drone running', () => /drone \S+ running on/.test(out), 30_000);
        const [id] = await queue.enqueue([{ type: 'slow', data: 1 }]);
        const sql = await sqlClient(url);
        try {
          await waitFor(
            'the task claimed',
            async () => (await sql.query(`SELECT 1 FROM "${schema}".tasks WHERE id = $1 AND state = 'claimed'`, [id])).rowCount === 1,
          );
          process.kill(-proc.pid!, signal);
          assert.equal(await exited, 0, out);
          assert.equal(fs.readFileSync(record, 'utf8').trim().split(' ')[0], id, 'the task ran to its end');
          const left = await sql.query(`SELECT state, last_error FROM "${schema}".tasks WHERE id = $1`, [id]);
          assert.deepEqual(left.rows, [], `done and acknowledged, not failed: ${JSON.stringify(left.rows)}\n${out}`);
          assert.doesNotMatch(out, /exited \(signal/);
        } finally {
          await sql.end();
        }
      } finally {
        if (proc.exitCode === null) proc.kill('SIGKILL');
        await queue.close();
      }
    });
  }
});
