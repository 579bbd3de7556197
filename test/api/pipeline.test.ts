import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { call, startService } from '../helpers/service.js';
import path from 'node:path';
import { FIXTURES, tmpDir, waitFor } from '../helpers/tmp.js';
import { startDrone, type TestDrone } from '../helpers/drone.js';
import type { DroneService } from '../../core/service/droneService.js';
import type { PipelineEdge, Snapshot, TaskRow, Trace } from '../../core/api/contract.js';

async function failure(service: DroneService, method: string, args: unknown): Promise<{ code: string; message: string }> {
  const out = await service.dispatch(method, args);
  assert.equal(out.ok, false, `${method} ${JSON.stringify(args)} should fail`);
  return (out as { ok: false; error: { code: string; message: string } }).error;
}

/** The trace once its task's chain ended (the last step done or failed). */
async function finishedTrace(service: DroneService, traceId: string): Promise<Trace> {
  return waitFor(`the trace of task ${traceId}`, async () => {
    const t = await call(service, 'tasks.trace', { traceId });
    const last = t?.steps.at(-1);
    return last && (last.state === 'done' || last.state === 'failed') ? t : null;
  });
}

describe('pipeline debugging: edges, traces, the task explorer, replay, schemas (the demo drone)', () => {
  let service: DroneService;
  let sql: pg.Client;
  const schema = freshSchema();

  before(async () => {
    const url = await testDatabaseUrl();
    ({ service } = await startService(url, schema));
    sql = await sqlClient(url);
  });
  after(async () => {
    await service.stop();
    await sql.end();
  });

  const snapshot = async () => (await call(service, 'drone.snapshot', {})) as Snapshot;

  it('every step of a burst knows when it began running (the worker says so), not only the first of each batch', async () => {
    const { ids } = await call(service, 'tasks.enqueue', { type: 'factorial', data: 6, count: 60 });
    for (const id of ids) {
      const trace = await finishedTrace(service, id);
      for (const s of trace.steps) {
        assert.ok(s.startedAt !== null, `step ${s.stepId} (${s.type}) of task ${id} has no start time`);
        assert.ok(
          s.queuedAt <= s.startedAt && s.startedAt <= s.finishedAt!,
          `step ${s.stepId}: queued ${s.queuedAt}, started ${s.startedAt}, finished ${s.finishedAt}`,
        );
      }
    }
  });

  it('a trace of factorial 5 shows both steps, the log line of the first and the result "78" in the last', async () => {
    const { id, result } = await call(service, 'tasks.request', { type: 'factorial', data: 5 });
    assert.equal(result, '78');
    const trace = await finishedTrace(service, id);
    assert.equal(trace.traceId, id);
    assert.match(trace.postback!, /./, 'a request has a postback');
    assert.deepEqual(
      trace.steps.map((s) => [s.type, s.state, s.input, s.output]),
      [
        ['factorial', 'hopped', '5', '"120"'],
        ['hexadecimal', 'done', '"120"', '"78"'],
      ],
    );
    const [first, last] = trace.steps;
    assert.equal(last.parentId, first.stepId);
    for (const s of trace.steps) {
      assert.ok(s.queuedAt <= s.startedAt! && s.startedAt! <= s.finishedAt!, 'waiting, then running, then finished');
      assert.equal(s.attempt, 1);
    }
    assert.deepEqual(
      first.logs.map((l) => [l.level, l.msg]),
      [['debug', '5! = 120']],
      "the worker's ctx.log line is kept with its step",
    );
    assert.deepEqual(last.logs, []);
    assert.equal(trace.replayOf, null);
    assert.deepEqual(trace.replays, []);
    assert.equal(trace.schemaProblem, null, '5 matches the factorial schema');
    assert.equal(await call(service, 'tasks.trace', { traceId: '999999999' }), null, 'a task this drone never had');
  });

  it('the snapshot has the live edges: claim:factorial, local:factorial>hexadecimal and the postback, with counts, rates and latencies', async () => {
    const ids = (await call(service, 'tasks.enqueue', { type: 'factorial', data: 7, count: 20, postback: 'answers' })).ids;
    await waitFor('20 answers', async () => (await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks WHERE type = 'answers'`)).rows[0].n === 20);
    const edges = await waitFor('edges with non-zero rates', async () => {
      const e = new Map(((await snapshot()).drone!.edges as PipelineEdge[]).map((x) => [x.id, x]));
      const want = ['claim:factorial', 'local:factorial>hexadecimal', 'postback:hexadecimal>answers'];
      return want.every((w) => (e.get(w)?.rate ?? 0) > 0) ? e : null;
    });
    const claim = edges.get('claim:factorial')!;
    assert.deepEqual([claim.kind, claim.from, claim.to], ['claim', 'global', 'factorial']);
    assert.ok(claim.count >= 21 && claim.latencyMs !== null && claim.latencyMs >= 0);
    const hop = edges.get('local:factorial>hexadecimal')!;
    assert.deepEqual([hop.kind, hop.from, hop.to], ['local', 'factorial', 'hexadecimal']);
    assert.ok(hop.count >= 21 && hop.latencyMs !== null);
    const post = edges.get('postback:hexadecimal>answers')!;
    assert.deepEqual([post.kind, post.from, post.to, post.count], ['postback', 'hexadecimal', 'answers', 20]);
    const replies = edges.get('postback:hexadecimal>(reply)');
    assert.ok(replies && replies.count >= 1, 'every request\'s unique reply type counts as one edge, "(reply)"');
    assert.equal([...edges.keys()].filter((k) => k.startsWith('postback:')).length, 2);
    assert.equal(ids.length, 20);
    assert.equal((await snapshot()).drone!.hotReload, false, 'headless: hot reload is off unless asked');
  });

  it('the task explorer finds tasks by type, state, edge, time and a JSON path condition, newest first, paged by keyset', async () => {
    const { ids } = await call(service, 'tasks.enqueue', { type: 'factorial', data: 3, count: 3 });
    const [bad] = (await call(service, 'tasks.enqueue', { type: 'factorial', data: 'three' })).ids;
    await finishedTrace(service, bad);
    for (const id of ids) await finishedTrace(service, id);
    const search = (q: Record<string, unknown>) => call(service, 'tasks.search', q) as Promise<{ rows: TaskRow[]; next: number | null }>;
    const threes = await search({ where: { path: '$', op: '=', value: 3 } });
    assert.deepEqual(
      threes.rows.map((r) => r.traceId),
      [...ids].reverse(),
      'newest first',
    );
    assert.equal(threes.next, null);
    const row = threes.rows[0];
    assert.deepEqual([row.type, row.lastType, row.state, row.steps, row.error], ['factorial', 'hexadecimal', 'done', 2, null]);
    assert.ok(row.finishedAt! >= row.queuedAt && row.queuedAt >= row.createdAt - 1000);

    const failed = await search({ state: 'failed' });
    assert.ok(failed.rows.some((r) => r.traceId === bad && r.lastType === 'factorial' && /integer from 0 to 10000/.test(r.error!)));
    assert.ok(failed.rows.every((r) => r.state === 'failed'));
    assert.ok((await search({ type: 'hexadecimal' })).rows.length === 0, "type is the first step's");
    const onHop = await search({ edge: 'local:factorial>hexadecimal', limit: 500 });
    assert.ok(onHop.rows.length >= 24 && onHop.rows.every((r) => r.steps === 2));
    assert.ok(!onHop.rows.some((r) => r.traceId === bad), 'a failed first step never crossed the hop');
    const posted = await search({ edge: 'postback:hexadecimal>answers', limit: 500 });
    assert.equal(posted.rows.length, 20);
    assert.ok((await search({ edge: 'postback:hexadecimal>(reply)', limit: 500 })).rows.length >= 1, 'requests, by their edge');
    assert.equal((await search({ edge: 'claim:factorial', where: { path: '$', op: '=', value: 'three' } })).rows[0].traceId, bad);
    assert.equal((await search({ from: Date.now() + 60_000 })).rows.length, 0);

    // Keyset paging: pages of 2 walk every row once, in order.
    const all = (await search({ limit: 500 })).rows.map((r) => r.stepId);
    const paged: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await search({ limit: 2, ...(before ? { before } : {}) });
      paged.push(...page.rows.map((r) => r.stepId));
      if (page.next === null) break;
      before = page.next;
    }
    assert.deepEqual(paged, all);
    assert.deepEqual(
      all,
      [...all].sort((a, b) => b - a),
    );
  });

  it('replay with an edited payload creates a new task linked to the original, with the new result; a later step replays from its recorded input', async () => {
    const { id } = await call(service, 'tasks.request', { type: 'factorial', data: 5 });
    const original = await finishedTrace(service, id);
    const [fact, hex] = original.steps;

    const { id: replayId } = await call(service, 'tasks.replay', { stepId: fact.stepId, data: 6 });
    assert.notEqual(replayId, id);
    const replayed = await finishedTrace(service, replayId);
    assert.deepEqual(replayed.replayOf, { traceId: id, stepId: fact.stepId });
    assert.equal(replayed.steps[0].input, '6');
    assert.equal(replayed.steps.at(-1)!.output, '"2d0"', '6! = 720 = 0x2d0');
    assert.equal(replayed.postback, original.postback, 'the same postback as the original');

    const { id: fromStep2 } = await call(service, 'tasks.replay', { stepId: hex.stepId });
    const second = await finishedTrace(service, fromStep2);
    assert.deepEqual(
      second.steps.map((s) => [s.type, s.input, s.output]),
      [['hexadecimal', '"120"', '"78"']],
      "step 2 alone, from step 1's recorded output",
    );
    assert.deepEqual(second.replayOf, { traceId: id, stepId: hex.stepId });

    const again = await call(service, 'tasks.trace', { traceId: id });
    assert.deepEqual(again!.replays, [replayId, fromStep2], 'the original lists its replays; its own history is unchanged');
    assert.deepEqual(
      again!.steps.map((s) => s.output),
      ['"120"', '"78"'],
    );
  });

  it('types.schema returns the schema a worker module exports (or null); a task that does not match is flagged in its trace', async () => {
    const factorial = (await call(service, 'types.schema', { type: 'factorial' })) as { type: string; maximum: number };
    assert.equal(factorial.type, 'integer');
    assert.equal(factorial.maximum, 10000);
    assert.equal(await call(service, 'types.schema', { type: 'hexadecimal' }), null);
    const [id] = (await call(service, 'tasks.enqueue', { type: 'factorial', data: { n: 5 }, maxAttempts: 1 })).ids;
    const trace = await finishedTrace(service, id);
    assert.match(trace.schemaProblem!, /must be integer/);
    // Claimed tasks are sampled (one per type and second): one warning per type, once one is seen.
    const warned = () => service.ring.recent().filter((l) => /^a factorial task does not match the type's payload schema: .*must be integer/.test(l.msg));
    await waitFor(
      'the warning',
      async () => {
        if (warned().length === 0) await call(service, 'tasks.enqueue', { type: 'factorial', data: 'five', maxAttempts: 1 });
        return warned().length > 0;
      },
      30_000,
      300,
    );
    const [more] = (await call(service, 'tasks.enqueue', { type: 'factorial', data: [], maxAttempts: 1 })).ids;
    await finishedTrace(service, more);
    assert.equal(warned().length, 1, 'said once per type');
  });

  it('bad input to each new method gets one clear error naming the field or the value', async () => {
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['tasks.trace', { traceId: 'abc' }, 'invalid_args', /traceId: a task id/],
      ['tasks.trace', {}, 'invalid_args', /traceId/],
      ['tasks.replay', { stepId: 0 }, 'invalid_args', /stepId/],
      ['tasks.replay', { stepId: 1.5 }, 'invalid_args', /stepId/],
      ['tasks.replay', { stepId: 987654321 }, 'failed', /stepId: no step 987654321 in this drone's local queue/],
      ['tasks.replay', { stepId: 1, data: 'x'.repeat(2 * 1024 * 1024) }, 'failed', /limit is 1048576|1 MiB/],
      ['tasks.search', { where: { path: 'user.id', op: '=' } }, 'invalid_args', /where\.path: a JSON path such as/],
      ['tasks.search', { where: { path: "$.a') OR 1=1 --", op: '=' } }, 'invalid_args', /where\.path/],
      ['tasks.search', { where: { path: '$.a', op: 'like' } }, 'invalid_args', /where\.op/],
      ['tasks.search', { where: { path: '$.a', op: '<' } }, 'failed', /where: < needs a value/],
      ['tasks.search', { edge: 'bogus' }, 'failed', /edge: expected "claim:TYPE", "local:FROM>TO" or "postback:FROM>TO", got "bogus"/],
      ['tasks.search', { state: 'hopped' }, 'invalid_args', /state/],
      ['tasks.search', { limit: 501 }, 'invalid_args', /limit/],
      ['types.schema', { type: 'nope' }, 'failed', /type: this drone has no worker for "nope"; it has factorial, hexadecimal/],
      ['workers.debug', { type: 'nope' }, 'failed', /no worker type "nope"/],
      ['workers.undebug', { type: '' }, 'invalid_args', /type/],
    ];
    for (const [method, args, code, message] of cases) {
      const e = await failure(service, method, args);
      assert.equal(e.code, code, `${method} ${JSON.stringify(args).slice(0, 80)}: ${e.message}`);
      assert.match(e.message, message);
    }
    assert.equal((await snapshot()).app.state, 'running', 'nothing crashed');
  });
});

describe('traces of running and chatty steps', () => {
  let d: TestDrone;
  let url: string;
  const schema = freshSchema();
  const dir = tmpDir();
  const config = { dir, workers: { chatty: { module: path.join(FIXTURES, 'workers/chatty.js'), concurrency: 2 } }, shutdownGraceMs: 200 };
  before(async () => {
    url = await testDatabaseUrl();
    d = await startDrone(url, schema, config);
  });
  after(async () => {
    await d.drone.stop();
  });

  it('a step a worker is running shows as running (trace and explorer); a step keeps its first 200 log lines of at most 4 KB', async () => {
    const [hung, chatty] = await d.drone.queue.enqueue([
      { type: 'chatty', data: { hang: true } },
      { type: 'chatty', data: { lines: 250, chars: 5000 } },
    ]);
    const running = await waitFor('the hung step running', async () => {
      const t = await d.drone.explorer.trace(hung);
      return t?.steps[0].state === 'running' ? t : null;
    });
    assert.ok(running.steps[0].startedAt! >= running.steps[0].queuedAt);

    const trace = await waitFor('the chatty step done with its logs', async () => {
      const t = await d.drone.explorer.trace(chatty);
      return t?.steps[0].state === 'done' && t.steps[0].logs.length === 200 ? t : null;
    });
    const logs = trace.steps[0].logs;
    assert.equal(logs[0].msg, `0:${'x'.repeat(4094)}`, 'each line cut to 4096 characters');
    assert.ok(logs.every((l) => l.msg.length === 4096 && l.level === 'info'));
    assert.equal(logs[199].msg.split(':')[0], '199', 'the first 200, in order');
    await waitFor('every line in the live log', () => d.ring.recent().filter((l) => l.task === chatty).length === 250);
    assert.deepEqual(
      (await d.drone.explorer.searchTasks({ state: 'running', limit: 10 })).rows.map((r) => r.traceId),
      [hung],
    );
    assert.deepEqual(
      (await d.drone.explorer.searchTasks({ state: 'done', limit: 10 })).rows.map((r) => r.traceId),
      [chatty],
    );

    // History is in the local queue: it survives a restart of the drone.
    await d.drone.stop();
    d = await startDrone(url, schema, config);
    const after = (await d.drone.explorer.trace(chatty))!;
    assert.deepEqual(
      after.steps.map((s) => [s.stepId, s.state, s.output, s.logs.length]),
      [[trace.steps[0].stepId, 'done', '{"lines":250,"chars":5000}', 200]],
    );
    assert.ok(after.steps[0].ackedAt! >= after.steps[0].finishedAt!);
  });
});
