/**
 * Who gets into the headless host: only holders of its token, loopback included — as a cookie set
 * by the login URL (browsers) or a Bearer header (tools); never from a token in the /api URL. A real
 * drone service behind it; another OS user is a real process running as nobody.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { WebSocket } from 'ws';
import { testDatabaseUrl, freshSchema } from '../helpers/db.js';
import { ApiSocket, apiUrl, bearer, startService } from '../helpers/service.js';
import { selfSignedCert } from '../helpers/tls.js';
import { tmpDir } from '../helpers/tmp.js';
import { startHost, type HostOptions, type RunningHost } from '../../core/host/server.js';
import { listServerInfo, serverInfoDir, type ServerInfo } from '../../core/host/serverInfo.js';
import { swarmageHome } from '../../core/db/paths.js';
import type { DroneService } from '../../core/service/droneService.js';

interface Got {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** `rawPath` goes on the request line as it is (a URL string would be normalised first). */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; ca?: Buffer; rawPath?: string } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const target = { hostname: u.hostname, port: u.port, path: opts.rawPath ?? `${u.pathname}${u.search}` };
    const req = mod.request({ ...target, method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a socket that may be refused; resolves with its close code and whether anything arrived. */
function tryConnect(url: string, headers: Record<string, string> = {}): Promise<{ code: number; messages: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    let messages = 0;
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'drone.pause', args: {} })));
    ws.on('message', () => messages++);
    ws.on('close', (code) => resolve({ code, messages }));
    ws.on('error', reject);
  });
}

const cookieOf = (res: Got) => String(res.headers['set-cookie']).split(';')[0];

describe('the headless host: access', () => {
  let service: DroneService;
  let configFile: string;
  const hosts: RunningHost[] = [];
  const staticDir = tmpDir();
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Swarmage</title>');
  fs.mkdirSync(path.join(staticDir, 'assets'));
  fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log("app")');

  before(async () => {
    ({ service, file: configFile } = await startService(await testDatabaseUrl(), freshSchema()));
  });
  after(async () => {
    await Promise.all(hosts.map((h) => h.close()));
    await service.stop();
  });

  async function host(opts: Partial<HostOptions> = {}): Promise<RunningHost> {
    const h = await startHost(service, { host: '127.0.0.1', port: 0, staticDir, serverInfo: false, ...opts });
    hosts.push(h);
    return h;
  }

  it('on loopback, without the token every route is refused: pages, static files, other methods and the socket', async () => {
    const h = await host();
    assert.ok(h.token.length >= 30, 'a token is generated per run');
    for (const p of ['', 'index.html', 'assets/app.js', 'some/view', 'api']) {
      const res = await request(`${h.url}${p}`);
      assert.equal(res.status, 401, `/${p}`);
      assert.match(res.body, /swarmage ui/, 'the refusal says how to get in');
      assert.match(res.body, /\?token=/);
      assert.doesNotMatch(res.body, /<title>Swarmage/);
    }
    assert.equal((await request(h.url, { method: 'HEAD' })).status, 401);
    assert.equal((await request(h.url, { method: 'POST' })).status, 401);
    const wrong = { Authorization: 'Bearer x'.padEnd(40, 'x') };
    assert.equal((await request(h.url, { headers: wrong })).status, 401);
    assert.equal((await request(h.url, { headers: { Cookie: `swarmage_${new URL(h.url).port}=${h.token}x` } })).status, 401);

    for (const [what, url, headers] of [
      ['no credential', apiUrl(h), {}],
      ['a wrong Bearer', apiUrl(h), wrong],
      ['the right token in the /api URL', `${apiUrl(h)}?token=${h.token}`, {}],
      ['the right token in the /api URL beside a right Bearer', `${apiUrl(h)}?token=${h.token}`, bearer(h.token)],
    ] as const) {
      const r = await tryConnect(url, headers);
      assert.deepEqual(r, { code: 4401, messages: 0 }, what);
    }
    assert.equal(service.snapshot().drone?.state, 'running', 'the refused drone.pause never ran');
  });

  it('logs a browser in through the printed URL: a redirect without the token, and an HttpOnly SameSite=Strict cookie that then admits pages and the socket', async () => {
    const h = await host();
    const port = new URL(h.url).port;
    assert.equal(h.loginUrl, `${h.url}?token=${encodeURIComponent(h.token)}`);
    assert.equal((await request(`${h.url}?token=${h.token}x`)).status, 401, 'a wrong login token');

    const login = await request(`${h.url}some/view?token=${h.token}&tab=2`);
    assert.equal(login.status, 303);
    assert.equal(login.headers.location, '/some/view?tab=2', 'the token leaves the address bar');
    const setCookie = String(login.headers['set-cookie']);
    assert.equal(setCookie, `swarmage_${port}=${h.token}; HttpOnly; SameSite=Strict; Path=/`, 'no Secure over plain http on loopback');
    assert.doesNotMatch(login.body, new RegExp(h.token));
    const sneaky = await request(h.url, { rawPath: `/x/..//elsewhere.example/?token=${h.token}` });
    assert.equal(sneaky.headers.location, '/elsewhere.example/', 'the redirect stays on this server');

    const Cookie = cookieOf(login);
    const page = await request(`${h.url}some/view`, { headers: { Cookie } });
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>Swarmage/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.equal((await request(`${h.url}assets/app.js`, { headers: { Cookie } })).body, 'console.log("app")');

    const s = await ApiSocket.open(apiUrl(h), { Cookie, Origin: h.url.replace(/\/$/, '') });
    assert.equal((await s.call('drone.snapshot', {})).ok, true);
    s.close();
    assert.equal(await ApiSocket.closedWith(apiUrl(h), { Cookie, Origin: 'http://evil.example' }), 4401, "another site's page, even with the cookie");
  });

  it('admits tools with Authorization: Bearer, and keeps refusing foreign Host names on loopback (DNS rebinding)', async () => {
    const h = await host();
    const page = await request(h.url, { headers: bearer(h.token) });
    assert.equal(page.status, 200);
    const s = await ApiSocket.toHost(h);
    assert.equal((await s.call('drone.snapshot', {})).ok, true);
    s.close();
    const rebound = await request(h.url, { headers: { ...bearer(h.token), Host: 'evil.example:80' } });
    assert.equal(rebound.status, 401);
    assert.match(rebound.body, /not a loopback address/);
    assert.equal((await request(`${h.url}?token=${h.token}`, { headers: { Host: 'evil.example' } })).status, 401, 'no login on a rebound name either');
    assert.equal(await ApiSocket.closedWith(apiUrl(h), { ...bearer(h.token), Host: 'evil.example' }), 4401);
  });

  it('takes a given token, and refuses a short one', async () => {
    const h = await host({ token: 'a-given-token-of-enough-length' });
    assert.equal(h.token, 'a-given-token-of-enough-length');
    assert.equal((await request(h.url, { headers: bearer('a-given-token-of-enough-length') })).status, 200);
    await assert.rejects(host({ token: 'short' }), /UI token: expected at least 16 printable characters/);
  });

  it('writes its server file 0600 in a 0700 folder whatever the umask, tightens a folder left open, and removes the file on close', async () => {
    const parent = tmpDir();
    fs.chmodSync(parent, 0o755);
    const dir = path.join(parent, 'swarmage');
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    const old = process.umask(0);
    let h: RunningHost;
    try {
      h = await startHost(service, { host: '127.0.0.1', port: 0, staticDir, serverInfo: { configFile, dir } });
    } finally {
      process.umask(old);
    }
    try {
      assert.ok(h.infoFile);
      assert.equal(path.dirname(h.infoFile), dir);
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      assert.equal(fs.statSync(h.infoFile).mode & 0o777, 0o600);
      const info = JSON.parse(fs.readFileSync(h.infoFile, 'utf8')) as ServerInfo;
      assert.deepEqual(
        { ...info, started: typeof info.started },
        {
          pid: process.pid,
          url: h.url,
          loginUrl: h.loginUrl,
          token: h.token,
          configFile,
          started: 'string',
        },
      );
      assert.deepEqual(
        listServerInfo(dir).map((i) => i.loginUrl),
        [h.loginUrl],
      );
    } finally {
      await h.close();
    }
    assert.equal(fs.existsSync(h.infoFile), false);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('lists only UIs whose process runs: a file left by a killed drone is removed', () => {
    const dir = tmpDir();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = path.join(dir, `ui-${dead}-7420.json`);
    fs.writeFileSync(
      stale,
      JSON.stringify({ pid: dead, url: 'http://127.0.0.1:7420/', loginUrl: 'http://127.0.0.1:7420/?token=t', token: 't', configFile: null, started: 'x' }),
    );
    const live = path.join(dir, `ui-${process.pid}-7421.json`);
    fs.writeFileSync(
      live,
      JSON.stringify({
        pid: process.pid,
        url: 'http://127.0.0.1:7421/',
        loginUrl: 'http://127.0.0.1:7421/?token=u',
        token: 'u',
        configFile: null,
        started: 'y',
      }),
    );
    assert.deepEqual(
      listServerInfo(dir).map((i) => i.url),
      ['http://127.0.0.1:7421/'],
    );
    assert.equal(fs.existsSync(stale), false);
    assert.equal(fs.existsSync(live), true);
  });

  it("keeps server files in $XDG_RUNTIME_DIR/swarmage where there is one, else in the swarmage home's run folder", () => {
    const saved = process.env.XDG_RUNTIME_DIR;
    try {
      process.env.XDG_RUNTIME_DIR = '/run/user/1234';
      assert.equal(serverInfoDir(), '/run/user/1234/swarmage');
      delete process.env.XDG_RUNTIME_DIR;
      assert.equal(serverInfoDir(), path.join(swarmageHome(), 'run'));
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
  });

  it('another OS user can neither read the token file nor list its folder', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to run a process as nobody (uid 65534)');
      return;
    }
    const parent = tmpDir();
    fs.chmodSync(parent, 0o755); // as /run/user or /var/lib would be: others may pass, not look in ours
    const dir = path.join(parent, 'swarmage');
    const h = await host({ serverInfo: { configFile, dir } });
    const probe = `
      const fs = require('node:fs');
      const out = {};
      for (const [k, f] of [['file', () => fs.readFileSync(${JSON.stringify(h.infoFile)})], ['dir', () => fs.readdirSync(${JSON.stringify(dir)})]]) {
        try { f(); out[k] = 'read'; } catch (e) { out[k] = e.code; }
      }
      process.stdout.write(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['-e', probe], { uid: 65534, gid: 65534, cwd: '/', encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { file: 'EACCES', dir: 'EACCES' });
  });

  it('off loopback: refused without TLS; with a certificate it serves https and wss, and the cookie is Secure', async (t) => {
    await assert.rejects(host({ host: '0.0.0.0' }), /off loopback the UI is served over TLS only .*--certfile FILE and --keyfile FILE/);
    const cert = selfSignedCert();
    if (!cert) {
      t.skip('no openssl to make a test certificate');
      return;
    }
    await assert.rejects(host({ host: '0.0.0.0', tls: { cert: 'not a certificate', key: cert.key } }), /--certfile\/--keyfile: not a usable PEM certificate/);
    const h = await host({ host: '0.0.0.0', tls: { cert: cert.cert, key: cert.key } });
    assert.match(h.url, /^https:\/\/0\.0\.0\.0:\d+\/$/);
    const base = h.url.replace('0.0.0.0', '127.0.0.1');
    assert.equal((await request(base, { ca: cert.cert })).status, 401);
    const login = await request(`${base}?token=${h.token}`, { ca: cert.cert });
    assert.equal(login.status, 303);
    assert.match(String(login.headers['set-cookie']), /; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    const page = await request(base, { ca: cert.cert, headers: { Cookie: cookieOf(login) } });
    assert.equal(page.status, 200);
    const s = await ApiSocket.toHost(h, {}, { ca: cert.cert });
    assert.ok(apiUrl(h).startsWith('wss://'));
    assert.equal((await s.call('drone.snapshot', {})).ok, true);
    s.close();
    await assert.rejects(request(base.replace('https:', 'http:')), 'plain http is not spoken there');
  });
});
