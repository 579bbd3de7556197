import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { PgQueue } from '../../core/queue/pg/pgQueue.js';
import { QueueView } from '../../core/queue/queueView.js';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { waitFor } from '../helpers/tmp.js';

// The whole-queue views on a real Postgres: the overview, the fleet, failures by cause, any task.
const LEASE = 30_000;
let url: string;
let db: pg.Client;
const queues: PgQueue[] = [];

before(async () => {
  url = await testDatabaseUrl();
  db = await sqlClient(url);
});
after(async () => {
  for (const q of queues) {
    await q.close();
    await db.query(`DROP SCHEMA IF EXISTS "${q.schema}" CASCADE`);
  }
  await db.end();
});

async function queue(): Promise<PgQueue> {
  const q = new PgQueue({ connectionString: url, schema: freshSchema() });
  queues.push(q);
  await q.migrate();
  return q;
}
/** A drone that never ran the task. */
const nowhere = { trace: async () => null, answeredBy: async () => [] };
const drone = (id: string, taskTypes: string[], rates?: Record<string, number>) => ({
  id,
  host: 'h',
  pid: 1,
  taskTypes,
  startedAt: new Date(),
  version: '9.9.9',
  rates,
});

/** Claims `n` tasks of `type` as drone `d` and fails them with `error` thrown at `frame`. */
async function failAs(q: PgQueue, type: string, n: number, error: (id: string) => string, frame: string): Promise<string[]> {
  const got = await q.claim('d', [{ type, limit: n }], LEASE);
  await q.fail(
    'd',
    got.map((t) => ({ id: t.id, error: error(t.id), stack: `Error: x\n    at ${frame}\n    at node:internal/x:1:1`, retryInMs: 0 })),
  );
  return got.map((t) => t.id);
}

describe('global queue inspection', () => {
  it('overview: a due type nobody serves is flagged; the oldest due task across priorities; served and processed from heartbeats', async () => {
    const q = await queue();
    await q.enqueue([
      { type: 'orphan' },
      { type: 'served', priority: 5 },
      { type: 'served', priority: -1 },
      { type: 'later', runAt: new Date(Date.now() + 60_000) },
    ]);
    // The oldest due task has the lowest priority: the overview must not stop at the first priority.
    await db.query(`UPDATE "${q.schema}".tasks SET run_at = now() - interval '1 hour' WHERE type = 'served' AND priority = -1`);
    await q.heartbeat(drone('d1', ['served', 'idle'], { served: 12.5 }), LEASE);
    await q.heartbeat(drone('dead', ['orphan']), LEASE);
    await db.query(`UPDATE "${q.schema}".drones SET heartbeat_at = now() - interval '1 hour' WHERE id = 'dead'`);
    const rows = await q.overview(100);
    const by = Object.fromEntries(rows.map((r) => [r.type, r]));
    assert.deepEqual(Object.keys(by).sort(), ['idle', 'later', 'orphan', 'served']);
    assert.equal(by.orphan.unserved, true, 'a dead drone does not serve');
    assert.equal(by.later.unserved, false, 'nothing due yet: not piling up');
    assert.equal(by.idle.unserved, false);
    assert.deepEqual(by.served.servedBy, ['d1']);
    assert.equal(by.served.processedPerSec, 12.5);
    assert.ok(by.served.oldestWaitingMs! >= 3_500_000, `oldest ${by.served.oldestWaitingMs}`);
    assert.ok(by.orphan.oldestWaitingMs! < 3_500_000);
    assert.equal(by.later.oldestWaitingMs, null);
    assert.deepEqual([by.later.available, by.later.scheduled], [0, 1]);
  });

  it('overview counts stop at the cap and say so; countType counts exactly', async () => {
    const q = await queue();
    await q.enqueue(Array.from({ length: 30 }, () => ({ type: 'many' })).concat([{ type: 'few' }]));
    const rows = await q.overview(10);
    assert.deepEqual(
      rows.map((r) => [r.type, r.available, r.capped]),
      [
        ['few', 1, false],
        ['many', 10, true],
      ],
    );
    assert.deepEqual(await q.countType('many'), { available: 30, scheduled: 0, claimed: 0, failed: 0 });
  });

  it('QueueView: the enqueue rate from two samples, none where capped', async () => {
    const q = await queue();
    await q.enqueue([{ type: 'a' }]);
    const view = new QueueView(q, () => 'd1');
    const first = await view.overview();
    assert.equal(first.types[0].enqueuedPerSec, null, 'one sample is no rate');
    await q.enqueue(Array.from({ length: 20 }, () => ({ type: 'a' })));
    await new Promise((r) => setTimeout(r, 600));
    const second = await view.overview();
    assert.ok(second.types[0].enqueuedPerSec! > 0, JSON.stringify(second.types[0]));
  });

  it('clock: the database’s, the one heartbeats and leases are times of', async () => {
    const q = await queue();
    const read = async () => Number((await db.query(`SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS t`)).rows[0].t);
    const before = await read();
    const now = await q.clock();
    const after = await read();
    assert.ok(before <= now && now <= after, `${before} <= ${now} <= ${after}`);
  });

  it('fleet: alive, stale and dead; what a drone holds and when a dead one’s claims come back', async () => {
    const q = await queue();
    await q.enqueue([{ type: 'a' }, { type: 'a' }, { type: 'a' }]);
    for (const id of ['ok', 'late', 'gone']) await q.heartbeat(drone(id, ['a']), LEASE);
    await q.claim('gone', [{ type: 'a', limit: 2 }], LEASE);
    await db.query(`UPDATE "${q.schema}".drones SET heartbeat_at = now() - interval '25 seconds' WHERE id = 'late'`);
    await db.query(`UPDATE "${q.schema}".drones SET heartbeat_at = now() - interval '1 minute' WHERE id = 'gone'`);
    const fleet = Object.fromEntries((await q.fleet()).map((d) => [d.id, d]));
    assert.deepEqual(
      ['ok', 'late', 'gone'].map((id) => [fleet[id].state, fleet[id].held, fleet[id].version]),
      [
        ['alive', 0, '9.9.9'],
        ['stale', 0, '9.9.9'],
        ['dead', 2, '9.9.9'],
      ],
    );
    const lease = await db.query(`SELECT max(lease_until) AS m FROM "${q.schema}".tasks WHERE claimed_by = 'gone'`);
    assert.equal(fleet.gone.claimsReturnAt, lease.rows[0].m.getTime());
    assert.equal(fleet.ok.claimsReturnAt, null);

    // A day later, with its tasks rescued, the dead drone is forgotten; a stale one is not.
    await db.query(`UPDATE "${q.schema}".drones SET heartbeat_at = now() - interval '2 days' WHERE id = 'gone'`);
    await db.query(`UPDATE "${q.schema}".tasks SET lease_until = now() - interval '1 second' WHERE claimed_by = 'gone'`);
    assert.equal((await q.rescueExpired()).length, 2);
    assert.deepEqual((await q.fleet()).map((d) => d.id).sort(), ['gone', 'late', 'ok'], 'still there on the pass that rescued its tasks');
    await q.rescueExpired();
    assert.deepEqual((await q.fleet()).map((d) => d.id).sort(), ['late', 'ok']);
  });

  it('failures group by cause: numbers and ids aside, the same message from another place is another group', async () => {
    const q = await queue();
    await q.enqueue(Array.from({ length: 5 }, () => ({ type: 'x', maxAttempts: 1 })).concat(Array.from({ length: 2 }, () => ({ type: 'y', maxAttempts: 1 }))));
    const timeouts = await failAs(q, 'x', 3, (id) => `task ${id} timed out after ${3000 + Number(id)} ms`, 'run (/app/workers/x.js:10:5)');
    const elsewhere = await failAs(q, 'x', 2, (id) => `task ${id} timed out after 1 ms`, 'other (/app/workers/x.js:99:1)');
    const inY = await failAs(q, 'y', 2, (id) => `task ${id} timed out after 7 ms`, 'run (/app/workers/x.js:12:7)');
    const groups = await q.failureGroups({});
    assert.deepEqual(
      groups.map((g) => [g.count, g.types, g.frame]),
      [
        [5, ['x', 'y'], 'run (x.js)'],
        [2, ['x'], 'other (x.js)'],
      ],
    );
    assert.equal(groups[0].title, 'task <n> timed out after <n> ms');
    assert.equal(groups[0].sampleId, [...timeouts, ...inY].sort((a, b) => Number(a) - Number(b)).at(-1));
    // Filters: by type, and by time (nothing failed in the future).
    assert.deepEqual(
      (await q.failureGroups({ types: ['y'] })).map((g) => g.count),
      [2],
    );
    assert.deepEqual(await q.failureGroups({ since: new Date(Date.now() + 60_000) }), []);
    // A group's tasks, paged by keyset; then retry all of one group, delete all of the other.
    const page1 = await q.listFailed({ group: groups[0].group, limit: 3 });
    const page2 = await q.listFailed({ group: groups[0].group, limit: 3, afterId: page1.at(-1)!.id });
    assert.deepEqual([...page1, ...page2].map((f) => f.id).sort(), [...timeouts, ...inY].sort());
    assert.ok(page1.every((f) => f.group === groups[0].group && f.failedAt! > 0));
    assert.deepEqual((await q.retryFailed({ group: groups[0].group, types: ['y'] })).sort(), inY.sort());
    assert.deepEqual((await q.deleteFailed({ group: groups[1].group })).sort(), elsewhere.sort());
    assert.deepEqual(
      (await q.failureGroups({})).map((g) => g.count),
      [3],
    );
  });

  it('a task anywhere: found by id in any state; browsed by keyset in claim order; cancelled and run now only while waiting', async () => {
    const q = await queue();
    const soon = new Date(Date.now() + 3_600_000);
    const ids = await q.enqueue([
      { type: 'b', priority: 1 },
      { type: 'b', priority: 3 },
      { type: 'b' },
      { type: 'b', priority: 3 },
      { type: 'b', runAt: soon },
      { type: 'b', runAt: soon, data: { big: 'x'.repeat(3000) } },
    ]);
    // Several tasks share a run_at to the microsecond: the cursor must neither repeat nor skip them.
    await db.query(`UPDATE "${q.schema}".tasks SET run_at = '2026-01-01 00:00:00.123456+00' WHERE id = ANY($1::bigint[])`, [ids.slice(0, 4)]);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await q.browse({ state: 'available', type: 'b', after, limit: 1 });
      seen.push(...page.tasks.map((t) => t.id));
      if (!page.next) break;
      after = page.next;
    }
    assert.deepEqual(seen, [ids[1], ids[3], ids[0], ids[2]], 'priority first, then run_at, then id');
    const later = await q.browse({ state: 'scheduled', type: 'b' });
    assert.deepEqual(
      later.tasks.map((t) => [t.id, t.state]),
      [
        [ids[4], 'scheduled'],
        [ids[5], 'scheduled'],
      ],
    );
    assert.equal(later.tasks[1].data.length, 2000, 'a list shortens the data');
    assert.equal((await q.findTask(ids[5]))!.data.length > 3000, true, 'a lookup shows all of it');

    const [claimed] = await q.claim('d', [{ type: 'b', limit: 1 }], LEASE);
    assert.equal((await q.findTask(claimed.id))!.state, 'claimed');
    assert.deepEqual(
      (await q.browse({ state: 'claimed', claimedBy: 'd' })).tasks.map((t) => t.id),
      [claimed.id],
    );
    assert.deepEqual(await q.cancel([claimed.id, ids[3]]), [ids[3]], 'a claimed task is not cancelled');
    assert.equal(await q.findTask(ids[3]), null);

    // Run now: a scheduled task becomes due, and the drones serving its type are told at once.
    const listen = await sqlClient(url);
    const heard: string[] = [];
    listen.on('notification', (n) => heard.push(n.payload ?? ''));
    await listen.query(`LISTEN "${q.schema}_tasks"`);
    assert.deepEqual(await q.runNow([ids[4], ids[0]]), [ids[4]], 'a task already due is not moved');
    assert.equal((await q.findTask(ids[4]))!.state, 'available');
    await waitFor('the run-now notification', () => heard.includes('b'), 5000);
    await listen.end();
  });

  it('postbacks: found from the task they answer, and they name it', async () => {
    const q = await queue();
    const [t] = await q.enqueue([{ type: 'x', postback: 'answers' }]);
    await q.claim('d', [{ type: 'x', limit: 1 }], LEASE);
    await q.complete('d', [{ id: t, resultJson: '{"r":1}', postback: 'answers' }]);
    const [pb] = await q.postbacksOf(t);
    assert.equal(pb.type, 'answers');
    assert.equal(pb.answers, t);
    const view = new QueueView(q, () => null);
    const found = await view.lookup(t, nowhere);
    assert.equal(found.global, null);
    assert.deepEqual(
      found.postbacks.map((p) => p.id),
      [pb.id],
    );
    assert.equal(found.note, null);
    const missing = await view.lookup('999999', nowhere);
    assert.match(missing.note!, /not on the global queue/);
  });
});
