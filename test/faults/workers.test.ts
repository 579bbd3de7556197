import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, tmpDir } from '../helpers/tmp.js';
import { ROUNDS, scaled, summary } from '../helpers/faults.js';
import { enqueueAll } from '../helpers/fleet.js';
import { faultScenario } from '../helpers/scenario.js';
import type { NewTask } from '../../core/queue/types.js';

/**
 * Worker faults mixed into ordinary work: a worker that throws, exits, aborts (a crash), loops
 * forever (timeoutMs kills it), or blows its heap (maxMemoryMb kills it) — each on its first
 * attempts only, so the task must still complete exactly once — and poison tasks that crash their
 * worker on every attempt: they must end "failed" after max_attempts with the crash as their error,
 * and never hold up the rest (other tasks of the same type, and of another type).
 */
const SCENARIO = 'workers';
const TASKS = scaled(200, 1500);
const PER_FAULT = scaled(2, 5);
const POISON = scaled(2, 4);
const TIMEOUT_MS = 1500; // long enough for a 48 MB heap to fill up on a busy machine
const FAULTS = ['throw', 'exit', 'abort', 'hang', 'oom'] as const;
const EXPECTED: Record<string, RegExp> = { poison: /exited \(signal SIGABRT\) while running this task/ };

/**
 * The same faults with batchResults on, as its own scenario (its figures apart): a crash from
 * outside (abort, hang, heap) leaves the tasks its worker held unreported, which then run again
 * one at a time. So a task may run twice here, but it still answers once, and the faults still
 * end exactly as without batchResults.
 */
for (const batchResults of [false, true]) {
  const scenario = batchResults ? `${SCENARIO}-batched` : SCENARIO;
  describe(`faults: workers that throw, exit, crash, hang or blow their memory, and poison tasks${batchResults ? ' (batchResults)' : ''}`, () => {
    const sc = faultScenario(
      scenario,
      `worker throws / exits / aborts / hangs past timeoutMs / exceeds maxMemoryMb; poison tasks${batchResults ? '; workers report results in batches' : ''}`,
    );
    const { fig } = sc;
    const mix = new Map<string, number>();
    sc.atEnd(() => {
      fig.extra.faultMix = Object.fromEntries(mix);
    });

    // batchResults gets one round in `npm test` (each crash there costs a second one).
    for (let round = 1; round <= (batchResults ? Math.ceil(ROUNDS / 2) : ROUNDS); round++) {
      it(`round ${round}: transient faults complete, poison tasks fail after max_attempts, nothing stalls`, async () => {
        const { url, sql } = sc;
        const { r, schema, runs, ledger, droneConfig, settle } = sc.round(round);
        const chaos = {
          module: path.join(FIXTURES, 'workers/chaos.js'),
          config: { file: runs },
          timeoutMs: TIMEOUT_MS,
          maxMemoryMb: 48,
          prefetch: r.int(1, 8),
          batchResults,
        };
        const config = droneConfig({
          workers: { chaos: [chaos, chaos], steady: ledger() },
          pollIntervalMs: 200,
          leaseMs: 30_000,
          maxPerWorker: r.int(4, 15),
          retry: { baseMs: 20, maxMs: 200 },
        });
        // Every fault in every round, at random places among ordinary tasks of both types.
        const kinds: string[] = [
          ...FAULTS.flatMap((f) => Array<string>(PER_FAULT).fill(f)),
          ...Array<string>(POISON).fill('poison'),
          ...Array.from({ length: TASKS - FAULTS.length * PER_FAULT - POISON }, () => (r.chance(0.25) ? 'steady' : 'ok')),
        ];
        for (let i = kinds.length - 1; i > 0; i--) {
          const j = r.int(0, i);
          [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
        }
        for (const k of kinds) mix.set(k, (mix.get(k) ?? 0) + 1);
        const tasks: NewTask[] = kinds.map((mode, i) =>
          mode === 'steady'
            ? { type: 'steady', data: { i, ms: r.int(0, 5) }, postback: 'done' }
            : {
                type: 'chaos',
                data: { i, mode, failures: mode === 'ok' ? 0 : mode === 'hang' ? 1 : r.int(1, 2), ms: r.int(0, 3) },
                postback: 'done',
                maxAttempts: mode === 'poison' ? 3 : 4,
              },
        );
        const ids = await enqueueAll(url, schema, tasks);
        const expectFailed = new Map(ids.flatMap((id, i) => (EXPECTED[kinds[i]] ? [[id, EXPECTED[kinds[i]]] as const] : [])));
        const fleet = sc.fleet(`${scenario}-round${round}`);
        const d = fleet.start('chaos', tmpDir(), config);
        const { ok, stopped, a } = await settle(fleet, ids, 240_000, expectFailed);
        console.log(`# ${scenario} round ${round}: ${[...new Set(kinds)].map((k) => `${k} ${kinds.filter((x) => x === k).length}`).join(', ')}; ${summary(a)}`);
        assert.deepEqual(a.lost, [], 'lost');
        assert.deepEqual(a.stuck, [], 'stuck');
        assert.deepEqual(a.wrong, [], 'wrong outcomes');
        assert.ok(ok, `not every task settled:\n${d.output().slice(-3000)}`);
        assert.deepEqual(
          stopped.map((s) => s.code),
          [0],
        );
        // No drone died: without batchResults a task that ran to the end was never run again.
        if (!batchResults) assert.equal(a.duplicates, 0, 'no task ran twice');
        else assert.match(d.output(), /may have run \(batchResults: results unreported\); they run again one at a time/);
        assert.equal(a.failedAsExpected, expectFailed.size);
        assert.equal(a.completedOnce, TASKS - expectFailed.size);
        assert.match(d.output(), new RegExp(`timed out after ${TIMEOUT_MS} ms`));
        assert.match(d.output(), /heap out of memory|Reached heap limit/);
        await sql.query(`DROP SCHEMA "${schema}" CASCADE`);
      });
    }
  });
}
