/**
 * Single operations of the drone's hot path, timed alone (docs/performance.md quotes them):
 *   node dist/bench/micro.js claim   one-task claims on an idle queue: their latency as the drone
 *                                    runs them (both statements), with a cached plan, and without
 *                                    synchronous_commit
 *   node dist/bench/micro.js local   the local queue per task: buffering a claimed batch, recording
 *                                    the outcomes, acknowledging (with history trimmed)
 * Medians; nothing here is part of `npm test`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureEmbedded, stopEmbedded } from '../core/db/embedded.js';
import { PgQueue } from '../core/queue/pg/pgQueue.js';
import { claimTasks } from '../core/queue/pg/claim.js';
import { LocalQueue } from '../core/queue/local/localQueue.js';
import type { ClaimedTask } from '../core/queue/types.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function claimLatency(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-micro-'));
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, 'pg');
  const url = await ensureEmbedded({ dataDir, port: 55620 });
  const queue = new PgQueue({ connectionString: url, schema: 'micro', poolSize: 2 });
  const c = new pg.Client({ connectionString: url });
  try {
    await queue.migrate();
    await c.connect();
    // With an acknowledgement to send along, the drone uses its general claim statement (every
    // type at once, deleting what finished); without, for one type, the plain one (see claim.ts).
    const modes: Array<[string, string, string, string[]]> = [
      ['as the drone runs it (planned every run)', 'force_custom_plan', 'on', []],
      ['the general statement, with an acknowledgement', 'force_custom_plan', 'on', ['1']],
      ['with a cached plan', 'auto', 'on', []],
      ['planned every run, synchronous_commit off', 'force_custom_plan', 'off', []],
    ];
    for (const [label, planMode, syncMode, acks] of modes) {
      await c.query(`SET plan_cache_mode = ${planMode}`);
      await c.query(`SET synchronous_commit = ${syncMode}`);
      await c.query('DISCARD PLANS');
      const claim: number[] = [];
      const roundTrip: number[] = [];
      for (let i = 0; i < 100; i++) {
        await queue.enqueue([{ type: 'noop', data: { i } }]);
        let t = performance.now();
        await claimTasks(c, 'micro', 'micro-drone', [{ type: 'noop', limit: 16 }], 30_000, acks);
        claim.push(performance.now() - t);
        t = performance.now();
        await c.query('SELECT 1');
        roundTrip.push(performance.now() - t);
        await c.query('DELETE FROM micro.tasks');
      }
      console.log(`${label}: claim of one task ${median(claim).toFixed(3)} ms, SELECT 1 ${median(roundTrip).toFixed(3)} ms (medians of 100)`);
    }
  } finally {
    await c.end().catch(() => {});
    await queue.close();
    await stopEmbedded({ dataDir });
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function localQueueCost(): void {
  const N = 200_000;
  const BATCH = 250;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmage-micro-'));
  const q = new LocalQueue(path.join(dir, 'local.sqlite'));
  const spent = { buffer: 0, record: 0, ack: 0 };
  try {
    for (let i = 0; i < N; i += BATCH) {
      const claimed: ClaimedTask[] = [];
      for (let j = i; j < i + BATCH; j++) {
        claimed.push({
          id: String(1_000_000 + j),
          type: 'noop',
          dataJson: `{"n":${j}}`,
          postback: null,
          attempt: 1,
          maxAttempts: 5,
          priority: 0,
          createdAt: Date.now(),
          replayOf: null,
        });
      }
      let t = performance.now();
      const steps = q.insertClaimed(claimed);
      spent.buffer += performance.now() - t;
      t = performance.now();
      // As the drone records them: in the batches results arrive in (about 25 at a time here).
      const finished = [];
      for (let k = 0; k < steps.length; k += 25) {
        finished.push(...q.record(steps.slice(k, k + 25).map((step) => ({ kind: 'done' as const, step, resultJson: 'null', startedAt: Date.now() }))).finished);
      }
      spent.record += performance.now() - t;
      t = performance.now();
      q.ack(finished, 100_000);
      spent.ack += performance.now() - t;
    }
  } finally {
    q.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const us = (ms: number) => ((ms * 1000) / N).toFixed(2);
  console.log(
    `local queue, per task over ${N} tasks in batches of ${BATCH}: buffer ${us(spent.buffer)} µs, record the outcome ${us(spent.record)} µs, acknowledge (history trimmed to 100,000) ${us(spent.ack)} µs`,
  );
}

const what = process.argv[2];
if (what === 'claim') await claimLatency();
else if (what === 'local') localQueueCost();
else {
  console.error('usage: node dist/bench/micro.js claim|local');
  process.exitCode = 2;
}
