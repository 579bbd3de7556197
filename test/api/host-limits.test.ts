/**
 * No client takes the drone down through the headless host: a flood of calls on one socket, an
 * enqueue of gigabytes, a client that never reads its answers, an answer too big to send. A real
 * drone service and real sockets; the never-reading client is a raw TCP socket that speaks just
 * enough WebSocket to send calls.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import type pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { ApiSocket, startService } from '../helpers/service.js';
import { FIXTURES, sleep, tmpDir, waitFor } from '../helpers/tmp.js';
import { startHost, type HostOptions, type RunningHost } from '../../core/host/server.js';
import { DEFAULT_LIMITS } from '../../core/host/connection.js';
import type { LogLine, Response } from '../../core/api/contract.js';
import type { DroneService } from '../../core/service/droneService.js';

/** A client-to-server WebSocket text frame (masked, as the protocol requires of clients). */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : len < 65536 ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 255]) : null;
  if (!head) throw new Error('frame too long for this test helper');
  const mask = crypto.randomBytes(4);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i] ^ mask[i % 4];
  return Buffer.concat([head, mask, masked]);
}

/** Connects and upgrades to /api, then stops reading for good; resolves once the upgrade is answered. */
function neverReadingClient(h: RunningHost): Promise<{ socket: net.Socket; closed: () => boolean }> {
  const { hostname, port } = new URL(h.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let closed = false;
    let head = '';
    socket.on('error', () => (closed = true)); // EPIPE / ECONNRESET: the server closed it
    socket.on('close', () => (closed = true));
    socket.once('connect', () =>
      socket.write(
        [
          'GET /api HTTP/1.1',
          `Host: ${hostname}:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          `Authorization: Bearer ${h.token}`,
          '',
          '',
        ].join('\r\n'),
      ),
    );
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      else resolve({ socket, closed: () => closed });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('the headless host: no call takes the drone down', () => {
  let service: DroneService;
  let sql: pg.Client;
  const schema = freshSchema();
  const hosts: RunningHost[] = [];
  const sockets: ApiSocket[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    const url = await testDatabaseUrl();
    sql = await sqlClient(url);
    ({ service } = await startService(url, schema, {
      workers: { echo: { module: path.join(FIXTURES, 'workers/echo.js') } },
    }));
  });
  after(async () => {
    for (const s of sockets) s.close();
    await Promise.all(hosts.map((h) => h.close()));
    await service.stop();
    await sql.end();
    process.off('unhandledRejection', onUnhandled);
  });

  async function host(opts: Partial<HostOptions> = {}): Promise<RunningHost> {
    const h = await startHost(service, { host: '127.0.0.1', port: 0, staticDir: tmpDir(), serverInfo: false, ...opts });
    hosts.push(h);
    return h;
  }
  async function open(h: RunningHost): Promise<ApiSocket> {
    const s = await ApiSocket.toHost(h);
    sockets.push(s);
    return s;
  }
  const count = async (type: string) => (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE type = $1`, [type])).rows[0].n as number;

  it(`a flood of 200 calls at once on one socket: ${DEFAULT_LIMITS.maxInFlight} run, the rest are answered "busy" without running`, async () => {
    const h = await host();
    const s = await open(h);
    const n = DEFAULT_LIMITS.maxInFlight;
    // Nobody serves this type: each request holds its place until it times out, well after the flood is read.
    const answers = await Promise.all(Array.from({ length: 200 }, () => s.call('tasks.request', { type: 'flood-unserved', data: 1, timeoutMs: 3000 })));
    const busy = answers.filter((a) => !a.ok && a.error.code === 'busy');
    assert.equal(busy.length, 200 - n);
    assert.deepEqual(
      busy.map((a) => a.id),
      Array.from({ length: 200 - n }, (_, i) => i + n + 1),
      'the first ones ran, every later one was refused',
    );
    assert.match(
      !busy[0].ok ? busy[0].error.message : '',
      /^tasks\.request: this connection already has 8 calls running; wait for their answers and call again$/,
    );
    assert.ok(
      answers.slice(0, n).every((a) => !a.ok && a.error.code === 'failed' && /no answer/.test(a.error.message)),
      'the ones that ran timed out as such',
    );
    assert.equal(await count('flood-unserved'), n, 'the refused calls enqueued nothing');
    assert.equal((await s.call('drone.snapshot', {})).ok, true, 'the same socket is served again');
  });

  it('an enqueue of 2,000 copies of 1 MiB is refused naming count and data; the drone keeps serving', async () => {
    const h = await host();
    const s = await open(h);
    const data = 'x'.repeat(1024 * 1024 - 2);
    const res = await s.call('tasks.enqueue', { type: 'big-enqueue', data, count: 2000 });
    assert.equal(res.ok, false);
    if (!res.ok) {
      assert.equal(res.error.code, 'invalid_args');
      assert.equal(
        res.error.message,
        'tasks.enqueue: count: 2000 copies of data of 1048576 bytes (as JSON) make 2000.0 MiB; one call enqueues at most 32.0 MiB of data: lower count or make data smaller',
      );
    }
    assert.equal(await count('big-enqueue'), 0);
    const fits = await s.call('tasks.enqueue', { type: 'big-enqueue', data, count: 3 });
    assert.equal(fits.ok, true, 'under the bound, big data is still accepted');
    assert.equal(await count('big-enqueue'), 3);
    assert.equal((await s.call('drone.snapshot', {})).ok, true);
  });

  /** A task whose trace holds its input and its echoed output: about half a megabyte of JSON as the drone keeps them. */
  async function bigTrace(s: ApiSocket): Promise<{ traceId: string; bytes: number }> {
    const r = await s.call('tasks.request', { type: 'echo', data: 'y'.repeat(900_000), timeoutMs: 30_000 });
    assert.ok(r.ok, JSON.stringify(r).slice(0, 300));
    const traceId = (r as { result: { id: string } }).result.id;
    const trace = await waitFor('the finished trace', async () => {
      const t = await s.call('tasks.trace', { traceId });
      const text = JSON.stringify(t);
      return t.ok && /"done"/.test(text.slice(0, 5000) + text.slice(-5000)) ? text : null;
    });
    return { traceId, bytes: Buffer.byteLength(trace) };
  }

  it('an answer bigger than the host sends is an error naming its size; the socket stays usable', async () => {
    const h = await host({ limits: { maxResponseBytes: 256 * 1024 } });
    const s = await open(h);
    const { traceId, bytes } = await bigTrace(await open(hosts[0]));
    assert.ok(bytes > 256 * 1024, `the trace is ${bytes} bytes`);
    const res: Response = await s.call('tasks.trace', { traceId });
    assert.equal(res.ok, false);
    assert.match(!res.ok ? res.error.message : '', /^tasks\.trace: the answer is \d+ KiB; the UI host sends at most 256 KiB per answer$/);
    assert.equal((await s.call('drone.snapshot', {})).ok, true);
  });

  it('a client that never reads is disconnected once its backlog passes the bound; memory stays bounded and others are served', async () => {
    const h = await host();
    const other = await open(h);
    const { traceId, bytes } = await bigTrace(other);
    const before = process.memoryUsage().rss;
    const slow = await neverReadingClient(h);
    const call = frame(JSON.stringify({ id: 1, method: 'tasks.trace', args: { traceId } }));
    // Without the bound, every answer would wait in the drone's memory: 1,600 of these are ~800 MB.
    let sent = 0;
    for (let wave = 0; wave < 200 && !slow.closed(); wave++) {
      for (let i = 0; i < DEFAULT_LIMITS.maxInFlight; i++) slow.socket.write(call);
      sent += DEFAULT_LIMITS.maxInFlight;
      await sleep(20);
    }
    assert.ok(slow.closed(), `the host closed the connection (after ${sent} calls for ${((sent * bytes) / 1024 / 1024).toFixed(0)} MiB of answers)`);
    const grown = (process.memoryUsage().rss - before) / 1024 / 1024;
    assert.ok(grown < 300, `RSS grew by ${grown.toFixed(0)} MB`);
    const logs = await other.call('logs.recent', {});
    assert.ok(
      logs.ok &&
        (logs.result as LogLine[]).some((l) =>
          /closed the UI connection from .*: it is not reading \(\d+\.\d MiB waiting, the bound is 32\.0 MiB\)/.test(l.msg),
        ),
    );
    assert.equal((await other.call('drone.snapshot', {})).ok, true, 'another client is still served');
    slow.socket.destroy();
  });

  it('a request line whose target is no URL path ("//") is answered 400, not thrown; the host keeps serving', async () => {
    const h = await host();
    const { hostname, port } = new URL(h.url);
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), hostname, () => socket.write(text));
        let got = '';
        socket.on('data', (d) => (got += d));
        socket.on('end', () => resolve(got));
        socket.on('error', reject);
        socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(text.split('\r\n')[0])}`)));
      });
    for (const target of ['//', '//[::', '//@']) {
      assert.match(await raw(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 400 /, target);
      const upgrade = await raw(
        `GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      assert.match(upgrade, /^HTTP\/1\.1 404 /, `upgrade to ${target}`);
    }
    const s = await open(h);
    assert.equal((await s.call('drone.snapshot', {})).ok, true);
  });

  it('nothing in the host rejected unhandled', () => {
    assert.deepEqual(unhandled, []);
  });
});
