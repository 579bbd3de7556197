import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { freshSchema } from '../helpers/db.js';
import { startDrone, type TestDrone } from '../helpers/drone.js';
import { ApiSocket, apiUrl, bearer, startService } from '../helpers/service.js';
import { FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';
import { faultScenario } from '../helpers/scenario.js';
import { loadConfigFile, resolveConfig } from '../../core/config/load.js';
import { ConfigError } from '../../core/config/errors.js';
import { SwarmageClient } from '../../core/swarmageClient.js';
import { TaskInputError } from '../../core/queue/validate.js';
import { METHOD_NAMES, methods, type MethodName, type Response } from '../../core/api/contract.js';
import { startHost, type RunningHost } from '../../core/host/server.js';
import { ProfileManager } from '../../core/app/profileManager.js';
import type { DroneService } from '../../core/service/droneService.js';
import type { NewTask } from '../../core/queue/types.js';

/**
 * Bad input, each case with a clear error that names the field or value, and nothing lost: config
 * (the cases test/unit/config.test.ts and test/cli/cli.test.ts do not cover already), tasks, worker
 * results, the API over the headless host's WebSocket (every method fuzzed), and the SQL enqueue
 * function. Every case tried and rejected is counted for docs/reliability.md.
 */
const SCENARIO = 'bad-input';

describe('bad input: a clear error naming the field or value, and nothing lost', () => {
  const sc = faultScenario(SCENARIO, 'bad input: config, tasks, worker results, API fuzz over WebSocket, SQL enqueue()');
  const { fig } = sc;
  const byArea: Record<string, { tried: number; rejected: number }> = {};
  const drones: TestDrone[] = [];
  sc.atEnd(async () => {
    await Promise.all(drones.map((d) => d.drone.stop()));
    fig.rounds = 1;
    fig.extra.byArea = byArea;
  });

  /** Counts one bad input; `check` must throw if it was not rejected as it should be. */
  async function tried(area: string, check: () => unknown): Promise<void> {
    const a = (byArea[area] ??= { tried: 0, rejected: 0 });
    a.tried++;
    fig.badInputsTried++;
    await check();
    a.rejected++;
    fig.badInputsRejected++;
  }

  describe('config', () => {
    const dir = tmpDir('swarmage-bad-config-');
    fs.writeFileSync(path.join(dir, 'w.js'), 'export default { work() {} };\n');
    const W = { module: 'w.js' };
    const cases: Array<[unknown, RegExp]> = [
      [[], /\(top level\): .*expected object, received array/],
      [null, /\(top level\): .*expected object, received null/],
      ['workers', /\(top level\): .*expected object, received string/],
      [{ workers: [] }, /workers: .*expected record, received array/],
      [{ workers: { x: 'w.js' } }, /workers\.x: expected object or array, received string/],
      [{ workers: { x: [] } }, /workers\.x: .*>=1 items/],
      [{ workers: { x: { module: '' } } }, /workers\.x\.module: /],
      [{ workers: { x: { ...W, timeoutMs: -1 } } }, /workers\.x\.timeoutMs: .*>0/],
      [{ workers: { x: { ...W, concurrency: 0 } } }, /workers\.x\.concurrency: .*>=1/],
      [{ workers: { x: [W, { ...W, prefetch: -2 }] } }, /workers\.x\[1\]\.prefetch: .*>=1/],
      [{ workers: { x: { ...W, maxMemoryMb: 0 } } }, /workers\.x\.maxMemoryMb: .*>=16/],
      [{ workers: { x: { ...W, batchResults: 'yes' } } }, /workers\.x\.batchResults: .*boolean/],
      [{ workers: { x: W }, queue: { config: { asyncClaimCommit: 1 } } }, /queue\.config\.asyncClaimCommit: .*boolean/],
      [{ workers: { x: { ...W, config: 'str' } } }, /workers\.x\.config: .*expected record, received string/],
      [{ workers: { 'a\nb': W } }, /workers\["a\\nb"\]: a task type cannot contain control characters/],
      [{ workers: { ['t'.repeat(201)]: W } }, /a task type is at most 200 characters/],
      [{ workers: { x: W }, pollIntervalMs: -1 }, /pollIntervalMs: .*>=10/],
      [{ workers: { x: W }, leaseMs: -5 }, /leaseMs: .*>=1000/],
      [{ workers: { x: W }, leaseMs: 1e12 }, /leaseMs: .*<=2147483647/],
      [{ workers: { x: W }, shutdownGraceMs: -1 }, /shutdownGraceMs: .*>=0/],
      [{ workers: { x: W }, retry: { baseMs: -1 } }, /retry\.baseMs: .*>=0/],
      [{ workers: { x: W }, retry: { maxMs: -1 } }, /retry\.maxMs: .*>=0/],
      [{ workers: { x: W }, maxPerWorker: 1.5 }, /maxPerWorker: .*expected int/],
      [{ workers: { x: W }, maxPerWorker: 1e9 }, /maxPerWorker: .*<=100000/],
      [{ workers: { x: W }, queue: { module: 'mysql' } }, /queue\.module: .*"postgres"/],
      [{ workers: { x: W }, queue: { config: { poolSize: 1 } } }, /queue\.config\.poolSize: .*>=2/],
      [{ workers: { x: W }, queue: { config: { embedded: { port: 80 } } } }, /queue\.config\.embedded\.port: .*>=1024/],
      [{ workers: { x: W }, queue: { config: { connectionString: 5 } } }, /queue\.config\.connectionString: .*expected string/],
      [{ workers: { x: W }, alias: 5 }, /alias: .*expected string, received number/],
      [{ workers: { x: W }, log: { level: 'loud' } }, /log\.level: .*"debug"\|"info"\|"warn"\|"error"/],
      [{ workers: { x: W }, localQueue: { path: '' } }, /localQueue\.path: /],
    ];
    for (const [raw, expected] of cases) {
      it(`rejects ${JSON.stringify(raw).slice(0, 90)}`, () =>
        tried('config', () => {
          assert.throws(
            () => resolveConfig(raw, { dir }),
            (err) => err instanceof ConfigError && expected.test(err.message) && err.message.split('\n').length === 1,
          );
        }));
    }

    it('rejects an empty config file, a blank one and a directory, naming the file', () =>
      tried('config', async () => {
        const file = path.join(dir, 'c.json');
        for (const text of ['', '  \n']) {
          fs.writeFileSync(file, text);
          assert.throws(
            () => loadConfigFile(file),
            (e: Error) => e.message.startsWith(`${file}: invalid JSON at line`) && /expected a value/.test(e.message),
          );
        }
        assert.throws(
          () => loadConfigFile(dir),
          (e: Error) => e.message.startsWith(`${dir}: cannot read config file: EISDIR`),
        );
      }));

    it('accepts a config file that starts with a UTF-8 byte order mark', () => {
      const file = path.join(dir, 'bom.json');
      fs.writeFileSync(file, '\uFEFF{ "workers": { "x": { "module": "w.js" } } }');
      assert.equal(loadConfigFile(file).workers.x.length, 1);
    });

    const modules: Array<[string, RegExp]> = [
      ['syntax-error.js', /workers\.broken\.module: cannot load .*syntax-error\.js: /],
      ['init-throws.js', /workers\.broken\.module: .*init-throws\.js: init failed: init refuses on purpose/],
      ['ctor-throws.js', /workers\.broken\.module: .*ctor-throws\.js: init failed: constructor refuses on purpose/],
      ['null-export.js', /workers\.broken\.module: .*null-export\.js: the default export must be an object with a work\(task, ctx\) function/],
      ['exits-on-import.js', /workers\.broken\.module: worker process exited \(code 0\)/],
    ];
    for (const [file, expected] of modules) {
      it(`a worker module that fails to start (${file}) stops the drone before it claims anything`, () =>
        tried('config', async () => {
          const schema = freshSchema();
          const client = await SwarmageClient.connect({ connectionString: sc.url, schema });
          await client.enqueue('broken', 1);
          await client.close();
          await assert.rejects(startDrone(sc.url, schema, { workers: { broken: { module: path.join(FIXTURES, 'workers', file) } } }), expected);
          assert.deepEqual((await sc.sql.query(`SELECT state, attempts FROM "${schema}".tasks`)).rows, [{ state: 'available', attempts: 0 }]);
          assert.equal((await sc.sql.query(`SELECT count(*)::int AS n FROM "${schema}".drones`)).rows[0].n, 0);
          await sc.sql.query(`DROP SCHEMA "${schema}" CASCADE`);
        }));
    }
  });

  describe('tasks and results', () => {
    let schema: string;
    let client: SwarmageClient;
    const good: string[] = [];

    before(async () => {
      schema = freshSchema();
      drones.push(
        await startDrone(sc.url, schema, {
          workers: { echo: { module: path.join(FIXTURES, 'workers/echo.js') }, bad: { module: path.join(FIXTURES, 'workers/bad-results.js') } },
          retry: { baseMs: 10, maxMs: 10 },
        }),
      );
      client = await SwarmageClient.connect({ connectionString: sc.url, schema });
    });
    after(async () => {
      // Nothing lost: the good tasks enqueued between the bad ones were all answered.
      await waitFor(
        'every good task answered',
        async () => (await sc.sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE type = 'good-answers'`)).rows[0].n === good.length,
        30_000,
      );
      await client.close();
    });

    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const big = 'x'.repeat(1024 * 1024);
    const longType = `x'; DROP TABLE tasks; --${'y'.repeat(10_000)}`;
    const cases: Array<[string, NewTask, RegExp]> = [
      ['a BigInt in data', { type: 'echo', data: { n: 1n } }, /task\.data: a BigInt is not JSON \(1n\); send it as a string/],
      ['a function in data', { type: 'echo', data: { f: () => 1 } }, /task\.data: a function is not JSON/],
      ['circular data', { type: 'echo', data: circular }, /task\.data: not JSON-serialisable: .*circular/i],
      ['NaN in data', { type: 'echo', data: [NaN] }, /task\.data: NaN is not JSON/],
      ['Infinity in data', { type: 'echo', data: { x: -Infinity } }, /task\.data: -Infinity is not JSON/],
      ['a Symbol as data', { type: 'echo', data: Symbol('s') }, /task\.data: not JSON-serialisable/],
      ['NUL in data', { type: 'echo', data: 'a\u0000b' }, /task\.data: Postgres jsonb cannot hold the NUL character/],
      ['data over 1 MiB', { type: 'echo', data: big }, /task\.data: 1048578 bytes of JSON; the limit is 1048576 \(1 MiB\)/],
      ['a 10 KB type name', { type: longType }, new RegExp(`task\\.type: ${longType.length} characters; the limit is 200`)],
      ['an empty type', { type: '' }, /task\.type: expected a non-empty string, got an empty string/],
      ['a type that is not a string', { type: 42 as unknown as string }, /task\.type: expected a non-empty string, got number/],
      ['a type with a newline', { type: 'a\nb' }, /task\.type: contains control characters: "a\\nb"/],
      ['a local: type', { type: 'local:echo' }, /task\.type: "local:" only chains inside a drone; enqueue "echo" instead/],
      ['a 10 KB postback', { type: 'echo', postback: 'p'.repeat(10_240) }, /task\.postback: 10240 characters; the limit is 200/],
      ['a fractional priority', { type: 'echo', priority: 1.5 }, /task\.priority: expected an integer, got 1\.5/],
      ['a priority out of range', { type: 'echo', priority: 2 ** 31 }, /task\.priority: out of range \(2147483648\)/],
      ['maxAttempts 0', { type: 'echo', maxAttempts: 0 }, /task\.maxAttempts: expected an integer from 1 to 1000, got 0/],
      ['maxAttempts as a string', { type: 'echo', maxAttempts: '3' as unknown as number }, /task\.maxAttempts: expected an integer from 1 to 1000, got 3/],
      ['an invalid runAt', { type: 'echo', runAt: new Date('nope') }, /task\.runAt: expected a valid Date/],
    ];
    for (const [what, task, expected] of cases) {
      it(`refuses ${what}, and a batch holding it inserts nothing`, () =>
        tried('tasks', async () => {
          await assert.rejects(client.enqueueMany([task]), (e: Error) => e instanceof TaskInputError && expected.test(e.message));
          const before = (await sc.sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks`)).rows[0].n;
          await assert.rejects(
            client.enqueueMany([{ type: 'echo', data: 'fine' }, task]),
            (e: Error) => e instanceof TaskInputError && e.message.startsWith('tasks[1].'),
          );
          assert.equal((await sc.sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks`)).rows[0].n, before);
          good.push(...(await client.enqueueMany([{ type: 'echo', data: { after: what }, postback: 'good-answers' }])));
        }));
    }

    it('stores and runs task types with quotes and semicolons verbatim; the SQL stays the SQL', async () => {
      const odd = [`it's`, `a"b`, `x'); DROP TABLE tasks; --`, `semi;colon`];
      const ids = await client.enqueueMany(odd.map((type) => ({ type, data: 1 })));
      const { rows } = await sc.sql.query(`SELECT type FROM "${schema}".tasks WHERE id = ANY($1) ORDER BY id`, [ids]);
      assert.deepEqual(
        rows.map((r) => r.type),
        odd,
      );
      assert.equal((await sc.sql.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`"${schema}".tasks`])).rows[0].ok, true);
    });

    // A result no attempt can make acceptable fails its task at once (1 attempt); a chain to a type
    // this drone lacks may find a drone that has it, so it is retried (2).
    const results: Array<[string, RegExp, number]> = [
      ['circular', /the worker returned a value that is not JSON-serialisable: .*circular.*; not retried/is, 1],
      ['function', /the worker returned a value that is not JSON-serialisable \(function\); not retried/, 1],
      ['symbol', /the worker returned a value that is not JSON-serialisable \(symbol\); not retried/, 1],
      ['bigint', /the worker returned a value that is not JSON-serialisable: .*BigInt.*; not retried/i, 1],
      ['huge', /the worker returned 1048579 bytes of JSON; the limit is 1048576 \(1 MiB\); not retried/, 1],
      ['chain-nowhere', /the bad worker chained to local:nobody-serves-this, but this drone has no worker for "nobody-serves-this"$/, 2],
      ['chain-empty', /the worker returned type "local:" with no task type after it; not retried/, 1],
      ['surrogate', /the result could not be stored: .*invalid input syntax for type json.*; not retried/, 1],
    ];
    for (const [kind, expected, attempts] of results) {
      it(`fails a task whose worker returns ${kind}, with its error, and carries on`, () =>
        tried('results', async () => {
          const [id] = await client.enqueueMany([{ type: 'bad', data: { kind }, maxAttempts: 2, postback: 'bad-answers' }]);
          good.push(...(await client.enqueueMany([{ type: 'bad', data: 'fine', postback: 'good-answers' }])));
          const row = await waitFor(
            'the failed state',
            async () => (await sc.sql.query(`SELECT * FROM "${schema}".tasks WHERE id = $1 AND state = 'failed'`, [id])).rows[0],
            30_000,
          );
          assert.equal(row.attempts, attempts);
          assert.match(row.last_error, expected);
          assert.equal((await sc.sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE type = 'bad-answers'`)).rows[0].n, 0, 'no answer for it');
        }));
    }
  });

  describe('the SQL enqueue function', () => {
    let schema: string;
    before(async () => {
      schema = freshSchema();
      await (await SwarmageClient.connect({ connectionString: sc.url, schema })).close();
    });
    const fn = () => `"${schema}".enqueue`;
    const cases: Array<[string, unknown[], RegExp]> = [
      ['a 10 KB type name', ['t'.repeat(10_240)], /task_type is 10240 characters long; the limit is 200/],
      ['a NULL type with data', [null, '{"a":1}'], /task_type must be a non-empty text/],
      ['a 201-character postback', ['t', null, 'p'.repeat(201)], /postback must be 1 to 200 characters/],
      ['a negative max_attempts', ['t', null, null, null, null, -1], /max_attempts must be at least 1, got -1/],
      ['data that is not JSON', ['t', '{oops'], /invalid input syntax for type json/],
      ['a priority beyond int', ['t', null, null, 2 ** 31], /out of range for type integer/],
      ['a run_at that is not a time', ['t', null, null, null, 'soon'], /invalid input syntax for type timestamp/],
      ['a type with NUL', ['a\u0000b'], /invalid byte sequence|0x00/],
    ];
    for (const [what, args, expected] of cases) {
      it(`rejects ${what}, inserting nothing`, () =>
        tried('sql', async () => {
          const params = args.map((_, i) => `$${i + 1}`).join(', ');
          await assert.rejects(sc.sql.query(`SELECT ${fn()}(${params})`, args), expected);
          assert.equal((await sc.sql.query(`SELECT count(*)::int AS n FROM "${schema}".tasks`)).rows[0].n, 0);
        }));
    }
    it('takes quotes and semicolons in every text argument as data', async () => {
      const evil = `x'); DROP TABLE tasks; --`;
      await sc.sql.query(`SELECT ${fn()}($1, $2::jsonb, $3)`, [evil, JSON.stringify(evil), evil]);
      const { rows } = await sc.sql.query(`SELECT type, data, postback FROM "${schema}".tasks`);
      assert.deepEqual(rows, [{ type: evil, data: evil, postback: evil }]);
    });
  });

  describe('the API over the headless host WebSocket', () => {
    let service: DroneService;
    let host: RunningHost;
    let socket: ApiSocket;

    before(async () => {
      let file: string;
      ({ service, file } = await startService(sc.url, freshSchema()));
      host = await startHost(ProfileManager.fixed(file, service, service.log), { host: '127.0.0.1', port: 0, staticDir: tmpDir(), serverInfo: false });
      socket = await ApiSocket.toHost(host);
    });
    after(async () => {
      socket.close();
      await host.close();
      await service.stop();
    });

    /** A call that fails (rather than hangs) when the server closes the connection instead of answering. */
    const call = (s: ApiSocket, method: string, args: unknown) =>
      Promise.race([
        s.call(method, args),
        waitFor('an answer', () => s.closeCode !== null, 30_000, 10).then(() =>
          assert.fail(`${method}: the server closed the connection (${s.closeCode}) instead of answering`),
        ),
      ]);
    const stillServes = async (s = socket) => {
      const res = await call(s, 'drone.snapshot', {});
      assert.equal(res.ok, true, `a valid call still works: ${JSON.stringify(res).slice(0, 300)}`);
    };

    /** Bad arguments for a method: wrong types for each field, missing fields, unknown fields, huge strings, not an object. */
    function fuzzArgs(m: MethodName): unknown[] {
      const schema = methods[m].args as z.ZodType;
      const shapes: Array<Record<string, z.ZodType>> = [];
      const collect = (s: z.ZodType) => {
        if (s instanceof z.ZodObject) shapes.push(s.shape as Record<string, z.ZodType>);
        else if (s instanceof z.ZodUnion) for (const o of s.options as z.ZodType[]) collect(o);
      };
      collect(schema);
      const huge = 'h'.repeat(1024 * 1024 + 10);
      const wrong: unknown[] = [0, -1, 1.5, 2 ** 53, '', 'x', huge, true, null, [], [1, 'a'], {}, { nested: { deep: [huge.slice(0, 1000)] } }];
      const out: unknown[] = ['args', 42, true, [], [{}], huge, { unknownField: 1 }, { ['k'.repeat(10_000)]: 'v' }];
      for (const shape of shapes) {
        const keys = Object.keys(shape);
        const base = Object.fromEntries(keys.map((k) => [k, undefined]));
        for (const k of keys) for (const w of wrong) out.push({ ...base, [k]: w });
        // Every field huge at once, within the 2 MiB a frame may carry.
        out.push({ ...Object.fromEntries(keys.map((k) => [k, 'h'.repeat(Math.floor(1_500_000 / keys.length))])) });
      }
      // Only what the contract refuses: a fuzz case that happens to be valid would really run.
      return out.filter((a) => !schema.safeParse(a ?? {}).success);
    }

    for (const m of METHOD_NAMES) {
      it(`${m}: every bad argument gets an invalid_args error naming the field, and the server keeps serving`, async () => {
        const cases = fuzzArgs(m);
        assert.ok(cases.length > 0);
        for (const args of cases) {
          const res: Response = await call(socket, m, args);
          byArea.api ??= { tried: 0, rejected: 0 };
          byArea.api.tried++;
          fig.badInputsTried++;
          assert.equal(res.ok, false, `${m} ${JSON.stringify(args)?.slice(0, 200)} was accepted`);
          if (!res.ok) {
            assert.equal(res.error.code, 'invalid_args');
            assert.ok(res.error.message.startsWith(`${m}: `), res.error.message.slice(0, 200));
            assert.ok(res.error.message.length < 20_000, 'the error does not echo huge input back');
          }
          byArea.api.rejected++;
          fig.badInputsRejected++;
        }
        await stillServes();
      });
    }

    it('a call naming a drone that is not there gets an error naming it; the socket stays open', () =>
      tried('api', async () => {
        for (const profile of ['l-nope', 42, { a: 1 }, [], 'p'.repeat(100_000), '__proto__']) {
          const res = await socket.call('drone.snapshot', {}, profile as string);
          assert.equal(!res.ok && res.error.code, 'failed');
          assert.ok(!res.ok && /no profile/.test(res.error.message) && res.error.message.length < 300, JSON.stringify(res).slice(0, 300));
        }
        await stillServes();
      }));

    it('unknown methods and malformed requests get an error; the socket stays open', () =>
      tried('api', async () => {
        for (const method of ['nope', '__proto__', 'constructor', 'hasOwnProperty', 'drone', 'drone.snapshot.x', 'm'.repeat(100_000), 42, null, { a: 1 }]) {
          const res = await call(socket, method as string, {});
          assert.equal(!res.ok && res.error.code, 'unknown_method');
          assert.ok(!res.ok && res.error.message.length < 300);
        }
        await stillServes();
      }));

    it('frames that are not requests close only their own connection; the server keeps serving', () =>
      tried('api', async () => {
        const frames: Array<[string | Buffer, number]> = [
          ['not json', 1003],
          ['{"id":"1","method":"drone.snapshot"}', 1003],
          ['[]', 1003],
          ['null', 1003],
          ['{"id":1.5}', 1003],
          ['{"id":1e400,"method":"drone.snapshot"}', 1003],
          [Buffer.from([0xff, 0x00, 0x01]), 1003],
          ['x'.repeat(3 * 1024 * 1024), 1009],
        ];
        for (const [frame, code] of frames) {
          const s = await ApiSocket.toHost(host);
          s.ws.send(frame, { binary: Buffer.isBuffer(frame) });
          await waitFor(`close ${code}`, () => s.closeCode === code, 10_000);
        }
        await stillServes();
      }));

    it('calls without the token (or with a wrong one, or with it in the URL) are refused, loopback included; with it they work', () =>
      tried('api', async () => {
        const base = apiUrl(host);
        const refused: Array<[string, Record<string, string>]> = [
          ['', {}],
          ['?token=', {}],
          ['?token=wrong', {}],
          [`?token=${host.token}`, {}],
          ['', bearer(`${host.token}x`)],
          ['', bearer('')],
          ['', { Cookie: `swarmage_${new URL(host.url).port}=wrong` }],
          [`?token=${host.token}`, bearer(host.token)],
        ];
        for (const [query, headers] of refused) {
          const code = await new Promise<number>((resolve, reject) => {
            const ws = new WebSocket(base + query, { headers });
            ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'drone.pause', args: {} })));
            ws.on('close', (c) => resolve(c));
            ws.on('error', reject);
          });
          assert.equal(code, 4401, `${query} ${JSON.stringify(headers)}`);
        }
        assert.equal(service.snapshot().drone?.state, 'running', 'the refused drone.pause never ran');
        await stillServes(await ApiSocket.toHost(host));
      }));
  });
});
