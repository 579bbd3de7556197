import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pg from 'pg';
import { testDatabaseUrl, freshSchema } from '../helpers/db.js';
import { startDrone, type TestDrone } from '../helpers/drone.js';
import { pgBouncerPath, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { EXAMPLES, waitFor } from '../helpers/tmp.js';
import { SwarmageClient } from '../../core/swarmageClient.js';
import { PgQueue } from '../../core/queue/pg/pgQueue.js';

// The demo pipeline: factorial answers through a postback to hexadecimal.
const demoWorkers = {
  factorial: { module: path.join(EXAMPLES, 'workers/factorial.js') },
  hexadecimal: [{ module: path.join(EXAMPLES, 'workers/hexadecimal.js') }, { module: path.join(EXAMPLES, 'workers/hexadecimal.js') }],
};

// What goes wrong behind a transaction pooler when a client keeps session state: named statements
// that live on one server connection, and LISTEN registered on a connection that goes back to the pool.
const STATEMENT_TROUBLE = /prepared statement|database unreachable|database error/i;

// In CI pgbouncer is installed by .ci/run; elsewhere these tests say what to install.
const missing = pgBouncerPath() === null && !process.env.CI ? 'pgbouncer is not installed (apt-get install -y pgbouncer)' : false;

describe('behind PgBouncer', { skip: missing }, () => {
  let url: string;
  const bouncers: PgBouncer[] = [];
  const drones: TestDrone[] = [];
  const clients: SwarmageClient[] = [];

  before(async () => {
    url = await testDatabaseUrl();
  });
  after(async () => {
    await Promise.all(drones.map((d) => d.drone.stop()));
    await Promise.all(clients.map((c) => c.close()));
    for (const b of bouncers) await b.stop();
  });

  async function bouncer(mode: 'transaction' | 'session', poolSize = 3): Promise<PgBouncer> {
    const b = await startPgBouncer(url, mode, poolSize);
    bouncers.push(b);
    return b;
  }

  async function drone(through: string, queue: Record<string, unknown> = {}, pollIntervalMs = 2000) {
    const schema = freshSchema();
    // migrate on the direct connection, as docs/deployment.md says (the drone migrates too; it finds nothing to do).
    const q = new PgQueue({ connectionString: url, schema });
    await q.migrate();
    await q.close();
    const d = await startDrone(through, schema, { workers: demoWorkers, pollIntervalMs, maxPerWorker: 50, queue });
    drones.push(d);
    const client = await SwarmageClient.connect({ connectionString: through, schema });
    clients.push(client);
    return { ...d, client, schema };
  }

  // The one line that says named statements were found not to last (claims go unnamed after it) is
  // what is expected of a transaction pooler, not trouble: it is counted apart.
  const NAMED_LOST = /named prepared statements do not last/;
  const logText = (d: TestDrone) =>
    d.ring
      .recent()
      .map((l) => `${l.level} ${l.msg}`)
      .filter((l) => !NAMED_LOST.test(l))
      .join('\n');
  const namedLost = (d: TestDrone) => d.ring.recent().filter((l) => NAMED_LOST.test(l.msg));

  it('in transaction mode: every task answered, no statement errors, and the missing notifications announced once with the fix', async () => {
    const b = await bouncer('transaction', 2);
    const d = await drone(b.url, { asyncClaimCommit: true });
    const answers = await d.client.requestMany(
      'factorial',
      Array.from({ length: 300 }, (_, i) => i % 25),
      { timeoutMs: 60_000 },
    );
    // In the order they were answered.
    assert.deepEqual(answers.filter((a) => a === '78').length, 12);
    assert.equal(answers.length, 300);
    await waitFor('the wake-up check to give up', () => d.drone.snapshot().wakeups?.state === 'poll');
    const wake = d.drone.snapshot().wakeups!;
    assert.deepEqual(wake, { state: 'poll', direct: false, pollMs: 250 });
    const log = logText(d);
    assert.doesNotMatch(log, STATEMENT_TROUBLE, 'no statement errors through the pooler');
    const warnings = log.split('\n').filter((l) => /did not come back to this drone's LISTEN/.test(l));
    assert.equal(warnings.length, 1, 'said once');
    assert.match(
      warnings[0],
      /^warn .*pooler in transaction mode.*polling every 250 ms.*SWARMAGE_LISTEN_DATABASE_URL or queue\.config\.listenConnectionString/,
    );
    const lost = namedLost(d);
    assert.ok(lost.length <= 1, 'said once at most');
    if (lost.length === 1) {
      assert.equal(lost[0].level, 'info');
      assert.equal((d.drone.queue as PgQueue).claimsNamed, false);
    }
  });

  it('in transaction mode: the drone leaves no setting behind on the pooled connections', async () => {
    const b = await bouncer('transaction', 2);
    const d = await drone(b.url, { asyncClaimCommit: true });
    await d.client.requestMany(
      'factorial',
      Array.from({ length: 100 }, (_, i) => i % 10),
      { timeoutMs: 60_000 },
    );
    await d.drone.stop();
    // Plain clients, each on whatever server connection the pooler gives it: all see the defaults.
    for (let i = 0; i < 8; i++) {
      const c = new pg.Client({ connectionString: b.url });
      await c.connect();
      const { rows } = await c.query(
        `SELECT current_setting('plan_cache_mode') AS plan, current_setting('synchronous_commit') AS sync,
                (SELECT count(*)::int FROM pg_prepared_statements WHERE name NOT LIKE 'swarmage-6-%') AS others`,
      );
      await c.end();
      // A claim prepared under its name before the drone found that names do not last may stay on a
      // server connection until the pooler closes it: under swarmage's own versioned names only.
      assert.deepEqual(rows[0], { plan: 'auto', sync: 'on', others: 0 }, `client ${i + 1} of 8`);
    }
  });

  it('in transaction mode with a direct listen connection: woken by notifications, not by polling', async () => {
    const b = await bouncer('transaction', 2);
    // A poll of ten minutes: any task done before that was fetched because a notification came.
    const d = await drone(b.url, { listenConnectionString: url }, 600_000);
    await waitFor('notifications to be seen arriving', () => d.drone.snapshot().wakeups?.state === 'notify');
    assert.deepEqual(d.drone.snapshot().wakeups, { state: 'notify', direct: true, pollMs: 600_000 });
    for (let i = 0; i < 5; i++) {
      const answer = await d.client.request('factorial', 5, { timeoutMs: 60_000 }).catch((err) => {
        throw new Error(`${err.message}\n${logText(d)}`);
      });
      assert.equal(answer, '78');
      await new Promise((r) => setTimeout(r, 200));
    }
    const log = logText(d);
    assert.doesNotMatch(log, STATEMENT_TROUBLE);
    assert.doesNotMatch(log, /did not (come back|arrive)/);
  });

  it('a listen connection to another database is caught: its notifications never arrive', async () => {
    const b = await bouncer('transaction', 2);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const other = `t_other_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${other}`);
    try {
      const d = await drone(b.url, { listenConnectionString: url.replace('/postgres?', `/${other}?`) });
      await waitFor('the wake-up check to give up', () => d.drone.snapshot().wakeups?.state === 'poll');
      assert.match(logText(d), /did not arrive on the listen connection: is the listen connection .* a direct one to the same database\?/);
      await d.drone.stop();
    } finally {
      await admin.query(`DROP DATABASE ${other} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('in session mode: notifications arrive through the pooler itself', async () => {
    const b = await bouncer('session', 4);
    const d = await drone(b.url, {}, 600_000);
    await waitFor('notifications to be seen arriving', () => d.drone.snapshot().wakeups?.state === 'notify');
    assert.equal(d.drone.snapshot().wakeups?.direct, false);
    const answers = await d.client.requestMany('factorial', [5, 6, 7], { timeoutMs: 60_000 });
    assert.deepEqual(answers.sort(), ['13b0', '2d0', '78']);
    assert.doesNotMatch(logText(d), STATEMENT_TROUBLE);
    assert.equal((d.drone.queue as PgQueue).claimsNamed, true, 'a session pooler keeps named statements');
    assert.equal(namedLost(d).length, 0);
  });
});
