import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { ApiSocket, bearer, startService } from '../helpers/service.js';
import { tmpDir, waitFor } from '../helpers/tmp.js';
import { startHost, parseListen, type RunningHost } from '../../core/host/server.js';
import type { DroneService } from '../../core/service/droneService.js';
import type { Snapshot } from '../../core/api/contract.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

describe('the headless host', () => {
  let service: DroneService;
  let file: string;
  let sql: pg.Client;
  const schema = freshSchema();
  const hosts: RunningHost[] = [];
  const sockets: ApiSocket[] = [];
  const staticDir = tmpDir() + '/';
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Swarmage</title>');
  fs.mkdirSync(path.join(staticDir, 'assets'));
  fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log("app")');

  before(async () => {
    const url = await testDatabaseUrl();
    ({ service, file } = await startService(url, schema));
    sql = await sqlClient(url);
  });
  after(async () => {
    for (const s of sockets) s.close();
    await Promise.all(hosts.map((h) => h.close()));
    await service.stop();
    await sql.end();
  });

  async function host() {
    const h = await startHost(service, { host: '127.0.0.1', port: 0, staticDir, serverInfo: false });
    hosts.push(h);
    return h;
  }
  async function open(h: RunningHost) {
    const s = await ApiSocket.toHost(h);
    sockets.push(s);
    return s;
  }

  it('answers the contract over the WebSocket and pushes snapshots', async () => {
    const h = await host();
    const s = await open(h);
    const snap = await s.call('drone.snapshot', {});
    assert.equal(snap.ok, true);
    const data = (snap as { result: Snapshot }).result;
    assert.equal(data.app.state, 'running');
    assert.deepEqual(
      // No maxPerWorker: a cold drone's buffers start at what their workers run at once.
      data.drone!.types.map((t) => [t.type, t.capacity, t.flow]),
      [
        ['factorial', 1, 'auto'],
        ['hexadecimal', 2, 'auto'],
      ],
    );
    const answer = await s.call('tasks.request', { type: 'factorial', data: 5, timeoutMs: 20_000 });
    assert.equal(answer.ok && (answer.result as { result: unknown }).result, '78');
    await waitFor('a snapshot showing the work', () =>
      s.events.some((e) => e.event === 'snapshot' && (e.data as Snapshot).drone?.types.find((t) => t.type === 'hexadecimal')?.done),
    );
    await s.call('tasks.enqueue', { type: 'nobody-serves-this', data: 1 });
    await waitFor('its log line pushed', () =>
      s.events.some((e) => e.event === 'logs' && (e.data as Array<{ msg: string }>).some((l) => /enqueued 1 nobody-serves-this task/.test(l.msg))),
    );
  });

  it('refuses bad messages and bad arguments with a clear error', async () => {
    const h = await host();
    const s = await open(h);
    const bad = await s.call('tasks.enqueue', { type: '', count: -1 });
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error.message : '', /type: .*count: /);
    const unknown = await s.call('drone.selfDestruct', {});
    assert.equal(!unknown.ok && unknown.error.code, 'unknown_method');
    s.ws.send('not json');
    await waitFor('the socket to close', () => s.closeCode === 1003);
  });

  it('serves its files with their types, the page for unknown paths, and nothing outside its folder', async () => {
    const h = await host();
    const auth = bearer(h.token);
    const js = await get(`${h.url}assets/app.js`, auth);
    assert.equal(js.body, 'console.log("app")');
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    const page = await get(`${h.url}some/view`, auth);
    assert.match(page.body, /<title>Swarmage/);
    for (const evil of ['..%2f..%2f..%2fetc%2fpasswd', '%2e%2e/%2e%2e/%2e%2e/etc/passwd', '..\\..\\etc\\passwd']) {
      assert.doesNotMatch((await get(`${h.url}${evil}`, auth)).body, /root:/);
    }
  });

  it('checks config edits with line and column, and applies a valid one without losing tasks', async () => {
    const h = await host();
    const s = await open(h);
    const view = await s.call('config.get', {});
    const text = (view as { result: { text: string } }).result.text;
    const broken = text.replace('"pollIntervalMs": 200', '"pollIntervalMs": "fast"');
    const check = await s.call('config.check', { text: broken });
    const issues = (check as { result: { ok: boolean; issues: Array<{ path: string; line: number }> } }).result;
    assert.equal(issues.ok, false);
    assert.equal(issues.issues[0].path, 'pollIntervalMs');
    assert.equal(issues.issues[0].line, broken.split('\n').findIndex((l) => l.includes('"fast"')) + 1);

    const ids = await s.call('tasks.enqueue', { type: 'factorial', data: 7, count: 50, postback: 'answers' });
    assert.equal(ids.ok, true);
    const changed = text.replace('"pollIntervalMs": 200', '"pollIntervalMs": 300, "maxPerWorker": 5');
    const applied = await s.call('config.apply', { text: changed, save: true });
    assert.deepEqual(applied, { id: applied.id, ok: true, result: { ok: true, issues: [], warnings: [] } });
    assert.match(fs.readFileSync(file, 'utf8'), /"maxPerWorker": 5/);
    const snap = (await s.call('drone.snapshot', {})) as { result: Snapshot };
    assert.equal(snap.result.drone!.types[0].capacity, 5);
    // Every task enqueued before the restart is answered exactly once: none lost.
    await waitFor(
      '50 answers',
      async () => (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE type = 'answers'`)).rows[0].n === 50,
      60_000,
      100,
    );
    const answers = (await sql.query(`SELECT data FROM ${schema}.tasks WHERE type = 'answers'`)).rows;
    assert.ok(answers.every((r) => r.data === (5040).toString(16)));
  });

  it('parses --ui values', () => {
    assert.deepEqual(parseListen('7420'), { host: '127.0.0.1', port: 7420 });
    assert.deepEqual(parseListen('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
    assert.deepEqual(parseListen('[::1]:7420'), { host: '::1', port: 7420 });
    assert.throws(() => parseListen('localhost:99999'), /expected \[HOST:\]PORT/);
    assert.throws(() => parseListen('abc'), /expected \[HOST:\]PORT/);
  });
});
