/**
 * The gateway as a trust boundary: who gets a socket, what each token may do, and that one token's
 * drones cannot touch what another's hold. (What the queue does through it is the contract suite's.)
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import WebSocket from 'ws';
import { RemoteQueue } from '../../core/queue/remote/remoteQueue.js';
import { Gateway } from '../../core/queue/remote/gateway.js';
import { PgQueue } from '../../core/queue/pg/pgQueue.js';
import { removeToken, TokenStore } from '../../core/queue/remote/tokens.js';
import { Logger } from '../../core/log/logger.js';
import { testDatabaseUrl } from '../helpers/db.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/tmp.js';

const LEASE = 30_000;
const row = (id: string, taskTypes: string[]) => ({ id, host: 'test', pid: 1, taskTypes, startedAt: new Date() });

describe('the gateway', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway(await testDatabaseUrl());
  });
  after(async () => {
    await g?.close();
  });

  it('gives no socket without a known token, and says why', async () => {
    for (const token of ['', 'swg_not-a-real-token']) {
      const q = new RemoteQueue({ url: g.gateway.url, token });
      await assert.rejects(q.clock(), (err: NodeJS.ErrnoException) => {
        assert.match(err.message, /refused the connection \(HTTP 401\): (unknown or revoked token|no token)/);
        assert.equal(err.code, 'EACCES', 'a refusal, not an outage: the drone stops and says so instead of retrying');
        return true;
      });
      await q.close();
    }
    assert.equal(g.gateway.connections, 0);
  });

  it('lets a token claim, serve and enqueue only its types, and inspect only when allowed', async () => {
    const edge = g.remote({ claim: ['resize-*'], enqueue: ['thumbs'], inspect: false });
    await g.pg.enqueue([{ type: 'resize-big' }, { type: 'secret' }]);
    await assert.rejects(edge.claim('d1', [{ type: 'secret', limit: 5 }], LEASE), /may not claim "secret"; it may claim "resize-\*"/);
    assert.equal((await edge.claim('d1', [{ type: 'resize-big', limit: 5 }], LEASE)).length, 1, 'a type its pattern matches');
    await assert.rejects(edge.heartbeat(row('d1', ['resize-big', 'secret']), LEASE), /may not serve "secret"/);
    await assert.rejects(edge.enqueue([{ type: 'secret' }]), /may not enqueue "secret"; it may enqueue "thumbs"/);
    assert.equal((await edge.enqueue([{ type: 'thumbs', data: { n: 1 } }])).length, 1);
    await assert.rejects(edge.fleet(), /may not see or operate the whole queue \(fleet\)/);
    await assert.rejects(edge.cancel(['1']), /may not see or operate the whole queue \(cancel\)/);
    const counts = await g.pg.countType('secret');
    assert.equal(counts.available, 1, 'the refused claim took nothing');
  });

  it("files each token's drones under its name: another token's drone of the same id cannot settle what it holds", async () => {
    const a = g.remote({ name: 'site-a' });
    const b = g.remote({ name: 'site-b' });
    const [id] = await g.pg.enqueue([{ type: 'shared' }]);
    assert.equal((await a.claim('d1', [{ type: 'shared', limit: 1 }], LEASE)).length, 1);
    await b.complete('d1', [{ id, resultJson: 'null' }]);
    await b.fail('d1', [{ id, error: 'x', retryInMs: 0, final: true }]);
    assert.equal(await b.release('d1', [id]), 0);
    const task = await g.pg.findTask(id);
    assert.equal(task?.state, 'claimed');
    assert.equal(task?.claimedBy, 'site-a/d1');
    assert.equal(a.fileId('d1'), 'site-a/d1');
    await a.complete('d1', [{ id, resultJson: 'null' }]);
    assert.equal(await g.pg.findTask(id), null, 'its own drone settles it');
  });

  it('answers bad arguments with which argument and why, and a malformed frame by closing that socket only', async () => {
    const q = g.remote();
    await assert.rejects(q.claim('d1', [{ type: 'a', limit: -3 }], LEASE), /^Error: claim: argument 2 at \[0\]\.limit: /);
    await assert.rejects(q.enqueue([{ type: 'a', priority: 1.5 }]), /task\.priority: expected an integer, got 1\.5/);
    const raw = new WebSocket(g.gateway.url, { headers: { Authorization: `Bearer ${g.token()}` } });
    const closed = new Promise<number>((resolve) => raw.on('close', (code) => resolve(code)));
    raw.on('open', () => raw.send('{"not": "a call"'));
    assert.equal(await closed, 1008);
    assert.equal(typeof (await q.clock()), 'number', 'the gateway serves on');
  });

  it('ends the connections of a token removed from the file, and refuses it from then on', async () => {
    const token = g.token({ name: 'revoked-soon' });
    const q = new RemoteQueue({ url: g.gateway.url, token });
    await q.clock();
    assert.ok(removeToken(g.tokensFile, 'revoked-soon'));
    await waitFor('the connection closed', async () => {
      try {
        await q.clock();
        return undefined;
      } catch (err) {
        return /revoked|401/.test((err as Error).message) || undefined;
      }
    });
    await assert.rejects(q.clock(), /HTTP 401/);
    await q.close();
    assert.match(fs.readFileSync(g.tokensFile, 'utf8'), /"sha256"/);
    assert.doesNotMatch(fs.readFileSync(g.tokensFile, 'utf8'), new RegExp(token), 'the file keeps hashes, never tokens');
  });

  it('keeps nothing of its own: a drone may go on through another gateway of the same queue, as behind a load balancer', async () => {
    const pg2 = new PgQueue({ connectionString: g.pg.connectionString, schema: g.pg.schema });
    const second = new Gateway({ queue: pg2, tokens: new TokenStore(g.tokensFile), log: new Logger('error', []), host: '127.0.0.1', port: 0 });
    await second.start();
    const token = g.token({ name: 'balanced' });
    const viaFirst = new RemoteQueue({ url: g.gateway.url, token });
    const viaSecond = new RemoteQueue({ url: second.url, token });
    try {
      const ids = await g.pg.enqueue(Array.from({ length: 40 }, () => ({ type: 'lb' })));
      const [a, b] = await Promise.all([viaFirst.claim('d1', [{ type: 'lb', limit: 25 }], LEASE), viaSecond.claim('d2', [{ type: 'lb', limit: 25 }], LEASE)]);
      assert.equal(new Set([...a, ...b].map((t) => t.id)).size, 40, 'every task claimed once, through either gateway');
      // d1 claimed through the first gateway; after a "failover" it takes its tasks back through the second.
      const held = await viaSecond.reclaim(
        'd1',
        a.map((t) => t.id),
        LEASE,
      );
      assert.equal(held.size, a.length);
      await viaSecond.complete(
        'd1',
        a.map((t) => ({ id: t.id, resultJson: 'null' })),
      );
      await viaFirst.complete(
        'd2',
        b.map((t) => ({ id: t.id, resultJson: 'null' })),
      );
      for (const id of ids) assert.equal(await g.pg.findTask(id), null);
    } finally {
      await viaFirst.close();
      await viaSecond.close();
      await second.close();
      await pg2.close();
    }
  });

  it('answers /healthz with 200 while Postgres does', async () => {
    const res = await fetch(g.gateway.url.replace(/^ws/, 'http') + '/healthz');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { ok: boolean; connections: number };
    assert.equal(body.ok, true);
  });
});
