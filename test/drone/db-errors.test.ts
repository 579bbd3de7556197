import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { droneSuite } from '../helpers/drone.js';
import { freePort } from '../helpers/ports.js';
import { FIXTURES, sleep, waitFor } from '../helpers/tmp.js';
import { classifyDatabaseError, NoAnswerError } from '../../core/drone/dbErrors.js';

/** What a promise rejected with (the test fails if it resolved). */
async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('classifyDatabaseError, on errors real Postgres and node-postgres give', () => {
  let url: string;
  let sql: pg.Client;
  before(async () => {
    url = await testDatabaseUrl();
    sql = await sqlClient(url);
  });
  after(() => sql.end());

  it('a missing table is a statement error with its SQLSTATE: the database answered', async () => {
    const err = await failure(sql.query(`SELECT * FROM "${freshSchema()}".tasks`));
    assert.deepEqual(classifyDatabaseError(err), { kind: 'error', message: (err as Error).message, sqlstate: '42P01' });
  });

  it('a closed port and a connection Postgres terminated are the database unreachable', async () => {
    const closed = new pg.Client({ connectionString: `postgres://nobody@127.0.0.1:${await freePort()}/x` });
    assert.equal(classifyDatabaseError(await failure(closed.connect())).kind, 'unreachable');
    const victim = await sqlClient(url);
    victim.on('error', () => {}); // the server's goodbye also comes as an event
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await sql.query('SELECT pg_terminate_backend($1)', [pid]);
    assert.equal(classifyDatabaseError(await failure(victim.query('SELECT 1'))).kind, 'unreachable');
    await victim.end().catch(() => {});
  });

  it("statement_timeout, node-postgres's query and connection timeouts, and the drone's own wait are timeouts", async () => {
    const slow = await sqlClient(url);
    try {
      await slow.query('SET statement_timeout = 50');
      const cancelled = await failure(slow.query('SELECT pg_sleep(2)'));
      assert.equal((cancelled as { code?: string }).code, '57014');
      assert.equal(classifyDatabaseError(cancelled).kind, 'timeout');
    } finally {
      await slow.end();
    }
    const impatient = new pg.Client({ connectionString: url, query_timeout: 50 });
    await impatient.connect();
    try {
      assert.equal(classifyDatabaseError(await failure(impatient.query('SELECT pg_sleep(2)'))).kind, 'timeout');
    } finally {
      await impatient.end().catch(() => {});
    }
    // A server that accepts connections and never says a word.
    const mute = net.createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => mute.once('listening', r));
    const muteUrl = `postgres://nobody@127.0.0.1:${(mute.address() as net.AddressInfo).port}/x`;
    try {
      const client = new pg.Client({ connectionString: muteUrl, connectionTimeoutMillis: 100 });
      assert.equal(classifyDatabaseError(await failure(client.connect())).kind, 'timeout');
      const pool = new pg.Pool({ connectionString: muteUrl, connectionTimeoutMillis: 100 });
      assert.equal(classifyDatabaseError(await failure(pool.query('SELECT 1'))).kind, 'timeout');
      await pool.end();
    } finally {
      mute.close();
    }
    assert.deepEqual(classifyDatabaseError(new NoAnswerError(300)), { kind: 'timeout', message: 'no answer from the database within 300 ms', ms: 300 });
  });

  it('a statement cancelled by hand is not a timeout', async () => {
    const victim = await sqlClient(url);
    try {
      const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const sleeping = failure(victim.query('SELECT pg_sleep(5)'));
      await waitFor(
        'the sleep to start',
        async () => (await sql.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE 'SELECT pg_sleep%'`, [pid])).rowCount,
      );
      await sql.query('SELECT pg_cancel_backend($1)', [pid]);
      assert.deepEqual(classifyDatabaseError(await sleeping), { kind: 'error', message: 'canceling statement due to user request', sqlstate: '57014' });
    } finally {
      await victim.end();
    }
  });
});

describe('drone: what it says when something other than the connection fails', () => {
  const suite = droneSuite();

  async function setup() {
    // A short lease: a heartbeat every 400 ms.
    const d = await suite.start({ workers: { echo: { module: path.join(FIXTURES, 'workers/echo.js') } }, leaseMs: 1200 });
    await waitFor('the database connected', () => d.drone.snapshot().database.state === 'connected');
    const lines = () => d.ring.recent().map((l) => `${l.level}: ${l.msg}`);
    return { ...d, lines };
  }

  it('a local queue that fails is said as such, and the database stays connected', async () => {
    const { drone, lines } = await setup();
    // The local queue's thread is gone: every call to it fails from now on, heldRootIds among them.
    drone.local!.close();
    await waitFor('the heartbeat to say the local queue failed', () =>
      lines().some((l) => l.startsWith('error: local queue: the local queue is closed; skipping this heartbeat')),
    );
    await sleep(1500); // several more heartbeats and polls
    const db = drone.snapshot().database;
    assert.equal(db.state, 'connected', JSON.stringify(db));
    assert.equal(db.lastError, null);
    const said = lines();
    assert.ok(!said.some((l) => /database (unreachable|not answering|error)/.test(l)), said.join('\n'));
    assert.equal(said.filter((l) => l.includes('local queue: the local queue is closed; skipping this heartbeat')).length, 1, 'said once, not every heartbeat');
  });

  it('a statement Postgres refuses shows as a database error with its SQLSTATE, not as unreachable; tasks go on', async () => {
    const { drone, schema, client, lines } = await setup();
    // The heartbeat and the lease rescue write to the drones table; the claim does not.
    await suite.sql.query(`ALTER TABLE "${schema}".drones RENAME TO drones_away`);
    const db = await waitFor('the snapshot to show the error', () => {
      const d = drone.snapshot().database;
      return d.state === 'error' ? d : null;
    });
    assert.equal(db.connected, true);
    // The heartbeat's, or the lease rescue's that follows a heartbeat (it prunes the drones table too),
    // when the rename fell between the two.
    assert.match(db.lastError ?? '', /^(heartbeat|rescue): relation ".*drones" does not exist \(SQLSTATE 42P01\)$/);
    assert.deepEqual(await client.request('echo', { still: 'answered' }, { timeoutMs: 20_000 }), { still: 'answered' });
    await suite.sql.query(`ALTER TABLE "${schema}".drones_away RENAME TO drones`);
    await waitFor('the database connected again', () => drone.snapshot().database.state === 'connected');
    const said = lines();
    // Said once per operation that was refused, not at every heartbeat.
    const refused = said.filter((l) => /^error: database error in (heartbeat|rescue): relation ".*drones" does not exist \(SQLSTATE 42P01\)$/.test(l));
    assert.ok(refused.length >= 1 && new Set(refused.map((l) => l.split(':')[1])).size === refused.length, said.join('\n'));
    assert.ok(!said.some((l) => /database (unreachable|not answering)|reachable again/.test(l)), said.join('\n'));
  });
});
