import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { call, startService } from '../helpers/service.js';
import { FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';
import { spawnDrone, startDrone } from '../helpers/drone.js';
import type { DroneService } from '../../core/service/droneService.js';
import { codeVersionOf } from '../../core/workers/instance.js';
import type { DebugSession, Snapshot } from '../../core/api/contract.js';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';

const snapshot = async (service: DroneService) => (await call(service, 'drone.snapshot', {})) as Snapshot;
const workersOf = async (service: DroneService, type: string) => (await snapshot(service)).drone!.workers.filter((w) => w.type === type);

/** Replaces a file the way many editors save: write a new file beside it, rename it over. */
function saveLikeAnEditor(file: string, text: string): void {
  const tmp = `${file}.swp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

describe('debug this type (Node inspector on loopback)', () => {
  let service: DroneService;

  before(async () => {
    ({ service } = await startService(await testDatabaseUrl(), freshSchema()));
  });
  after(async () => {
    await service.stop();
  });

  it('starts an instance with the inspector on 127.0.0.1 reachable only by its ws:// URL; the next task goes to it; undebug stops it', async () => {
    const session = (await call(service, 'workers.debug', { type: 'factorial' })) as DebugSession;
    assert.equal(session.type, 'factorial');
    assert.equal(session.host, '127.0.0.1');
    assert.ok(session.port > 0);
    assert.match(session.webSocketUrl!, new RegExp(`^ws://127\\.0\\.0\\.1:${session.port}/[0-9a-f-]+$`));
    assert.equal(session.devtoolsUrl, `devtools://devtools/bundled/js_app.html?ws=${session.webSocketUrl!.slice('ws://'.length)}`);
    assert.equal('jsonListUrl' in session, false, 'nothing points at /json/list');
    assert.equal(session.taskId, null);

    // --inspect-publish-uid=stderr: the inspector's HTTP side does not list its target to anyone.
    for (const route of ['/json/list', '/json', '/json/version']) {
      const res = await fetch(`http://127.0.0.1:${session.port}${route}`);
      const text = await res.text();
      assert.equal(res.status, 404, `${route} answers 404`);
      assert.doesNotMatch(text, /ws:\/\//, `${route} gives no ws:// URL`);
    }
    assert.equal(await evaluateOver(session.webSocketUrl!, '1+1'), 2, 'the URL the API gave works');

    const [debugInstance] = (await workersOf(service, 'factorial')).filter((w) => w.debug);
    assert.equal(debugInstance.id, session.instance);
    assert.equal(debugInstance.state, 'idle');

    const { id, result } = await call(service, 'tasks.request', { type: 'factorial', data: 4 });
    assert.equal(result, '18', '4! = 24 = 0x18');
    const again = (await call(service, 'workers.debug', { type: 'factorial' })) as DebugSession;
    assert.equal(again.port, session.port, 'one session per type: a second call returns it');
    assert.equal(again.taskId, id, 'the next task went to the debug instance');
    assert.equal((await workersOf(service, 'factorial')).find((w) => w.debug)!.done, 1);

    await call(service, 'workers.undebug', { type: 'factorial' });
    assert.deepEqual(
      (await workersOf(service, 'factorial')).map((w) => w.debug),
      [false],
    );
    await assert.rejects(fetch(`http://127.0.0.1:${session.port}/json/version`), 'the inspector is gone with its instance');
    assert.equal((await call(service, 'tasks.request', { type: 'factorial', data: 5 })).result, '78', 'the other instances go on');
    await call(service, 'workers.undebug', { type: 'factorial' }); // no session: nothing to do
  });
});

describe('debug this type: another OS user on the machine', () => {
  let service: DroneService;
  before(async () => {
    ({ service } = await startService(await testDatabaseUrl(), freshSchema()));
  });
  after(async () => {
    await service.stop();
  });

  it('learns no ws:// URL from the inspector (as uid 65534)', { skip: process.getuid?.() !== 0 && 'needs root to run a process as another user' }, async () => {
    const session = (await call(service, 'workers.debug', { type: 'factorial' })) as DebugSession;
    const script = `Promise.all(['/json/list', '/json', '/json/version'].map((r) => fetch('http://127.0.0.1:${session.port}' + r)
      .then(async (res) => r + ' ' + res.status + ' ' + await res.text(), (e) => r + ' ' + e.message))).then((a) => console.log(a.join('\\n')))`;
    const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, cwd: '/', env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, out);
    assert.equal(out.trim().split('\n').length, 3, out);
    assert.doesNotMatch(out, /ws:\/\//, out);
    assert.doesNotMatch(out, new RegExp(session.webSocketUrl!.split('/').at(-1)!), 'nor its id');
    for (const line of out.trim().split('\n')) assert.match(line, /^\S+ 404\b/, `answered, with 404: ${line}`);
    await call(service, 'workers.undebug', { type: 'factorial' });
  });
});

/** Runtime.evaluate over the inspector's WebSocket: the value of `expression`. */
async function evaluateOver(url: string, expression: string): Promise<unknown> {
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const answer = new Promise<unknown>((resolve, reject) => {
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { id?: number; result?: { result?: { value?: unknown } }; error?: unknown };
        if (m.id !== 1) return;
        if (m.error) reject(new Error(JSON.stringify(m.error)));
        else resolve(m.result?.result?.value);
      });
    });
    ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, returnByValue: true } }));
    return await answer;
  } finally {
    ws.close();
  }
}

describe('debug this type: a task the debug instance holds when the session ends', () => {
  it('goes back to the buffer and runs in another instance, its attempt not charged', async () => {
    const d = await startDrone(await testDatabaseUrl(), freshSchema(), {
      workers: { chatty: { module: path.join(FIXTURES, 'workers/chatty.js') } },
      shutdownGraceMs: 200,
    });
    try {
      await d.drone.explorer.debug('chatty');
      const [id] = await d.drone.queue.enqueue([{ type: 'chatty', data: { hangIfDebugged: true, lines: 1 } }]);
      await waitFor(
        'the debug instance running it',
        async () => d.drone.explorer.debugSession('chatty')?.taskId === id && (await d.drone.explorer.trace(id))?.steps[0].state === 'running',
      );
      await d.drone.explorer.undebug('chatty');
      const trace = await waitFor('the task done elsewhere', async () => {
        const t = await d.drone.explorer.trace(id);
        return t?.steps.at(-1)?.state === 'done' ? t : null;
      });
      assert.deepEqual(
        trace.steps.map((s) => [s.attempt, s.state]),
        [[1, 'done']],
        'the same step, requeued, not failed',
      );
      assert.deepEqual(
        d.drone.snapshot().workers.map((w) => [w.id, w.debug]),
        [['chatty', false]],
      );
    } finally {
      await d.drone.stop();
    }
  });
});

describe('hot reload', () => {
  let service: DroneService;
  let dir: string;
  let sql: pg.Client;
  const schema = freshSchema();

  before(async () => {
    const url = await testDatabaseUrl();
    ({ service, dir } = await startService(url, schema, {}, { hotReload: true }));
    sql = await sqlClient(url);
  });
  after(async () => {
    await service.stop();
    await sql.end();
  });

  const logged = (re: RegExp) => service.ring.recent().some((l) => re.test(l.msg));
  /** Every instance of the type runs this code version and takes work. */
  const onVersion = (type: string, version: string) =>
    waitFor(
      `every ${type} instance on code ${version}`,
      async () => {
        const w = await workersOf(service, type);
        return w.every((x) => x.codeVersion === version && (x.state === 'idle' || x.state === 'busy')) ? w : null;
      },
      60_000,
    );

  it('an edited worker file restarts that type with the new code (codeVersion changes), the next result reflects it, no task is lost', async () => {
    assert.equal((await snapshot(service)).drone!.hotReload, true);
    const before = await workersOf(service, 'hexadecimal');
    assert.equal(before.length, 2);
    const v1 = before[0].codeVersion!;
    assert.match(v1, /^[0-9a-f]{8}$/);
    const factorialVersion = (await workersOf(service, 'factorial'))[0].codeVersion;

    // Tasks flow while the file changes: every one must come back.
    const { ids } = await call(service, 'tasks.enqueue', { type: 'factorial', data: 10, count: 300, postback: 'reloaded' });
    const file = path.join(dir, 'workers', 'hexadecimal.js');
    saveLikeAnEditor(file, fs.readFileSync(file, 'utf8').replace('return this.upper ? hex.toUpperCase() : hex;', "return 'v2:' + hex;"));
    const v2 = codeVersionOf(file)!;
    assert.notEqual(v2, v1);
    await onVersion('hexadecimal', v2);
    await waitFor('the reload line', () => logged(new RegExp(`^reloaded worker hexadecimal: code ${v1} → ${v2}$`)));
    assert.equal((await workersOf(service, 'factorial'))[0].codeVersion, factorialVersion, 'other types keep running their code');
    assert.equal((await call(service, 'tasks.request', { type: 'factorial', data: 5 })).result, 'v2:78');

    await waitFor(
      '300 answers',
      async () => (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE type = 'reloaded'`)).rows[0].n === ids.length,
      60_000,
    );
    const answers = (await sql.query(`SELECT data FROM ${schema}.tasks WHERE type = 'reloaded'`)).rows.map((r) => r.data);
    assert.ok(
      answers.every((a) => a === '375f00' || a === 'v2:375f00'),
      'each answer from the old code or the new',
    );
    assert.equal((await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE state = 'failed'`)).rows[0].n, 0, 'nothing failed');
  });

  it('a file that does not load after an edit is reported; the next edit that fixes it reloads again', async () => {
    const file = path.join(dir, 'workers', 'hexadecimal.js');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, good + '\nthis is not javascript(\n');
    await waitFor('the reload error', () => logged(/hot reload of hexadecimal .*fix the file and save it again/));
    fs.writeFileSync(file, good.replace("'v2:'", "'v3:'"));
    await onVersion('hexadecimal', codeVersionOf(file)!);
    const { result } = await call(service, 'tasks.request', { type: 'factorial', data: 5, timeoutMs: 60_000 });
    assert.equal(result, 'v3:78');
  });
});

describe('debug this type where the inspector cannot work (the packaged desktop app)', () => {
  it('refuses with the reason and starts no instance', async () => {
    const why = 'debugging a type is off in the packaged app';
    const { service } = await startService(await testDatabaseUrl(), freshSchema(), {}, { debugUnavailable: why });
    try {
      const out = await service.dispatch('workers.debug', { type: 'factorial' });
      assert.deepEqual(out, { ok: false, error: { code: 'failed', message: why } });
      assert.ok(!(await snapshot(service)).drone!.workers.some((w) => w.id.includes('debug')), 'no debug instance');
    } finally {
      await service.stop();
    }
  });
});

describe('swarmage drone --hot-reload', () => {
  it('turns hot reload on from the command line (off without it) and reloads an edited module', async () => {
    const url = await testDatabaseUrl();
    const dir = tmpDir();
    const file = path.join(dir, 'echo.js');
    fs.copyFileSync(path.join(FIXTURES, 'workers/echo.js'), file);
    fs.copyFileSync(path.join(FIXTURES, 'workers/package.json'), path.join(dir, 'package.json'));
    const config = { queue: { config: { schema: freshSchema() } }, workers: { echo: { module: './echo.js' } }, localQueue: { path: 'local.sqlite' } };
    const plain = spawnDrone(url, dir, config);
    try {
      await waitFor('the drone running', () => /drone \S+ running on/.test(plain.output()));
      assert.doesNotMatch(plain.output(), /hot reload/);
    } finally {
      plain.proc.kill('SIGTERM');
      await plain.exited;
    }
    const hot = spawnDrone(url, dir, config, { args: ['--hot-reload'] });
    try {
      await waitFor('the drone running', () => /drone \S+ running on/.test(hot.output()));
      assert.match(hot.output(), /hot reload on: watching 1 worker module\(s\)/);
      fs.appendFileSync(file, '\n// edited\n');
      await waitFor('the reload', () => /reloaded worker echo: code [0-9a-f]{8} → [0-9a-f]{8}/.test(hot.output()));
    } finally {
      hot.proc.kill('SIGTERM');
      assert.equal(await hot.exited, 0);
    }
  });
});
