import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineEdge, Trace, TraceStep } from '../../core/api/contract.js';
import type { TypeStats } from '../../core/api/contract.js';
import { buildGraph, edgeLabel, GLOBAL_NODE, layoutGraph, layoutKey, nodeStatus, trackFailures, FAILING_FOR_MS } from '../../renderer/src/lib/pipeline.js';
import { buildWaterfall, niceTicks, percentAt, traceOpen } from '../../renderer/src/lib/waterfall.js';
import { toSearchArgs, parseConditionValue, EMPTY_FORM } from '../../renderer/src/lib/explorerQuery.js';
import { defaultsOf, fieldsOf, getAt, missingRequired, numberFromText, setAt } from '../../renderer/src/lib/schemaForm.js';
import { createAppStore } from '../../renderer/src/store/appStore.js';
import { parseViewHash, viewHash } from '../../renderer/src/lib/shortcuts.js';

const type = (name: string, over: Partial<TypeStats> = {}): TypeStats => ({
  type: name,
  instances: 1,
  capacity: 10,
  flow: 'auto',
  claimSize: 10,
  prefetch: 1,
  serviceRate: null,
  buffered: 1,
  running: 1,
  done: 5,
  failed: 0,
  rate: 2,
  history: [],
  ...over,
});
const edge = (id: string, kind: PipelineEdge['kind'], from: string, to: string, rate = 1): PipelineEdge => ({
  id,
  kind,
  from,
  to,
  count: 3,
  rate,
  latencyMs: 12,
});

const DEMO_EDGES = [
  edge('claim:factorial', 'claim', 'global', 'factorial'),
  edge('local:factorial>hexadecimal', 'local', 'factorial', 'hexadecimal', 4.2),
  edge('postback:hexadecimal>answers', 'postback', 'hexadecimal', 'answers'),
];

describe('pipeline graph', () => {
  it('has the global queue, each type, and the observed edges; postbacks go back to the global queue', () => {
    const g = buildGraph([type('factorial'), type('hexadecimal')], DEMO_EDGES, {}, 0);
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      [GLOBAL_NODE, 'factorial', 'hexadecimal'],
    );
    const pb = g.edges.find((e) => e.kind === 'postback')!;
    assert.equal(pb.source, 'hexadecimal');
    assert.equal(pb.target, GLOBAL_NODE);
    assert.equal(pb.postbackTo, 'answers');
    assert.equal(edgeLabel(4.2, 12), '4.2/s · 12 ms');
    assert.equal(edgeLabel(0, null), '0/s · —');
  });

  it('colours back-pressure (a full buffer) and failures in the last minute', () => {
    assert.equal(nodeStatus(type('a', { buffered: 10, capacity: 10 }), undefined, 0), 'backpressure');
    assert.equal(nodeStatus(type('a'), 1000, 1000 + FAILING_FOR_MS - 1), 'failing');
    assert.equal(nodeStatus(type('a'), 1000, 1000 + FAILING_FOR_MS), 'ok');
    assert.equal(nodeStatus(type('a', { buffered: 0, running: 0, rate: 0 }), undefined, 0), 'idle');
    const g = buildGraph([type('factorial'), type('hexadecimal')], DEMO_EDGES, { hexadecimal: 5 }, 10);
    assert.equal(g.edges.find((e) => e.id === 'local:factorial>hexadecimal')!.failing, true, 'an edge into a failing step');
    assert.equal(g.edges.find((e) => e.id === 'claim:factorial')!.failing, false);
  });

  it('tracks when a failed count went up, not when a restarted drone counts from zero', () => {
    let t = trackFailures({}, {}, [{ type: 'a', failed: 3 }], 100);
    assert.equal(t.changed, false, 'the first sight is no news');
    t = trackFailures(t.failed, t.lastFailureAt, [{ type: 'a', failed: 4 }], 200);
    assert.deepEqual(t.lastFailureAt, { a: 200 });
    t = trackFailures(t.failed, t.lastFailureAt, [{ type: 'a', failed: 0 }], 300);
    assert.equal(t.changed, false);
    assert.deepEqual(t.lastFailureAt, { a: 200 });
  });

  it('lays out left to right, and only a new node or edge changes the layout key', () => {
    const g = buildGraph([type('factorial'), type('hexadecimal')], DEMO_EDGES, {}, 0);
    const pos = layoutGraph(g);
    assert.ok(pos[GLOBAL_NODE].x < pos.factorial.x && pos.factorial.x < pos.hexadecimal.x, JSON.stringify(pos));
    const moved = buildGraph(
      [type('factorial', { rate: 99 }), type('hexadecimal')],
      DEMO_EDGES.map((e) => ({ ...e, rate: 50 })),
      {},
      0,
    );
    assert.equal(layoutKey(moved), layoutKey(g), 'numbers moving keep the layout');
    const grown = buildGraph([type('factorial'), type('hexadecimal')], [...DEMO_EDGES, edge('claim:hexadecimal', 'claim', 'global', 'hexadecimal')], {}, 0);
    assert.notEqual(layoutKey(grown), layoutKey(g));
  });

  it('shows a type an edge names even when this drone no longer serves it', () => {
    const g = buildGraph([type('factorial')], DEMO_EDGES, {}, 0);
    assert.equal(g.nodes.find((n) => n.id === 'hexadecimal')?.stats, null);
  });
});

const step = (over: Partial<TraceStep>): TraceStep => ({
  stepId: 1,
  parentId: null,
  type: 'factorial',
  state: 'done',
  attempt: 1,
  input: '5',
  output: null,
  error: null,
  stack: null,
  queuedAt: 1100,
  startedAt: 1150,
  finishedAt: 1200,
  ackedAt: null,
  logs: [],
  ...over,
});

describe('trace waterfall', () => {
  const trace: Trace = {
    traceId: '7',
    createdAt: 1000,
    postback: null,
    answers: null,
    replayOf: null,
    replays: [],
    schemaProblem: null,
    steps: [
      step({ state: 'hopped', output: '"120"' }),
      step({ stepId: 2, parentId: 1, type: 'hexadecimal', input: '"120"', output: '"78"', queuedAt: 1200, startedAt: 1260, finishedAt: 1300 }),
    ],
  };

  it('separates the global wait, the local buffer and running', () => {
    const w = buildWaterfall(trace, 5000);
    assert.deepEqual(
      w.rows[0].segments.map((s) => [s.kind, s.start, s.end]),
      [
        ['global', 1000, 1100],
        ['buffer', 1100, 1150],
        ['running', 1150, 1200],
      ],
    );
    assert.deepEqual(
      w.rows[1].segments.map((s) => [s.kind, s.start, s.end]),
      [
        ['buffer', 1200, 1260],
        ['running', 1260, 1300],
      ],
    );
    assert.equal(w.start, 1000);
    assert.equal(w.end, 1300);
    assert.equal(percentAt(w, 1150), 50);
    assert.equal(traceOpen(trace), false);
  });

  it('runs open steps to now', () => {
    const open: Trace = { ...trace, steps: [step({ state: 'running', startedAt: 1150, finishedAt: null })] };
    const w = buildWaterfall(open, 2000);
    assert.deepEqual(w.rows[0].segments.at(-1), { kind: 'running', start: 1150, end: 2000, open: true });
    assert.equal(traceOpen(open), true);
    const waiting = buildWaterfall({ ...trace, steps: [step({ state: 'queued', startedAt: null, finishedAt: null })] }, 1500);
    assert.deepEqual(waiting.rows[0].segments.at(-1), { kind: 'buffer', start: 1100, end: 1500, open: true });
    const unknownStart = buildWaterfall({ ...trace, steps: [step({ startedAt: null })] }, 9999);
    assert.deepEqual(
      unknownStart.rows[0].segments.at(-1),
      { kind: 'unsplit', start: 1100, end: 1200, open: false },
      'finished, start not recorded: one bar, not a wait',
    );
  });

  it('has round ticks', () => {
    assert.deepEqual(niceTicks(300), [0, 100, 200, 300]);
    assert.deepEqual(niceTicks(1000), [0, 200, 400, 600, 800, 1000]);
    assert.deepEqual(niceTicks(0), [0]);
  });
});

describe('task explorer query', () => {
  it('turns the form into tasks.search arguments', () => {
    const q = toSearchArgs({ ...EMPTY_FORM, type: ' factorial ', state: 'done', path: '$.user.id', op: '>=', value: '42' });
    assert.deepEqual(q, { ok: true, args: { limit: 50, type: 'factorial', state: 'done', where: { path: '$.user.id', op: '>=', value: 42 } } });
    assert.deepEqual(toSearchArgs({ ...EMPTY_FORM, path: '$.items[0]', op: 'exists', value: 'ignored' }), {
      ok: true,
      args: { limit: 50, where: { path: '$.items[0]', op: 'exists' } },
    });
    assert.deepEqual(parseConditionValue('abc'), 'abc');
    assert.deepEqual(parseConditionValue('"abc"'), 'abc');
    assert.deepEqual(parseConditionValue('null'), null);
    assert.deepEqual(parseConditionValue('[1]'), '[1]', 'only scalars are JSON here');
  });

  it('names the field that is wrong', () => {
    assert.deepEqual(toSearchArgs({ ...EMPTY_FORM, path: "$.a'; DROP" }), {
      ok: false,
      message: `JSON path: "$.a'; DROP" is not a path such as $.user.id or $.items[0]`,
    });
    assert.match((toSearchArgs({ ...EMPTY_FORM, from: 'yesterday' }) as { message: string }).message, /^from: /);
    assert.match(
      (toSearchArgs({ ...EMPTY_FORM, from: '2026-01-02T00:00', to: '2026-01-01T00:00' }) as { message: string }).message,
      /^from: must not be after/,
    );
    assert.match((toSearchArgs({ ...EMPTY_FORM, value: '3' }) as { message: string }).message, /^JSON path: give a path/);
  });
});

describe('schema form', () => {
  const schema = {
    type: 'object',
    required: ['n', 'mode'],
    properties: {
      n: { type: 'integer', minimum: 0, default: 5 },
      mode: { enum: ['hex', 'dec'] },
      upper: { type: 'boolean' },
      owner: { type: 'object', properties: { name: { type: 'string', default: 'ann' } } },
      tags: { type: 'array', items: { type: 'string' } },
    },
  };

  it('makes fields from the schema, with required marks and defaults', () => {
    const f = fieldsOf(schema)!;
    assert.deepEqual(
      f.children.map((c) => [c.path.join('.'), c.kind, c.required]),
      [
        ['n', 'integer', true],
        ['mode', 'enum', true],
        ['upper', 'boolean', false],
        ['owner', 'object', false],
        ['tags', 'json', false],
      ],
    );
    assert.deepEqual(defaultsOf(f), { n: 5, owner: { name: 'ann' } });
    assert.deepEqual(missingRequired(f, defaultsOf(f)), ['mode']);
    assert.equal(fieldsOf('nope'), null);
    assert.deepEqual(fieldsOf({ type: 'integer' })!.kind, 'integer', 'a non-object schema is one field for the data itself');
  });

  it('reads and writes values by path, like the raw editor would', () => {
    const d = setAt({ n: 5 }, ['owner', 'name'], 'bo');
    assert.deepEqual(d, { n: 5, owner: { name: 'bo' } });
    assert.equal(getAt(d, ['owner', 'name']), 'bo');
    assert.deepEqual(setAt(d, ['n'], undefined), { owner: { name: 'bo' } });
    assert.equal(setAt(d, [], 7), 7);
    assert.equal(numberFromText('12', true), 12);
    assert.equal(numberFromText('1.5', true), '1.5', 'kept as text: the mismatch stays visible');
    assert.equal(numberFromText(' ', false), undefined);
  });
});

describe('store: pipeline debugging', () => {
  it('opens a trace, keeps the explorer pages and debug sessions', () => {
    const store = createAppStore();
    store.getState().openTrace('42');
    assert.equal(store.getState().view, 'trace');
    assert.equal(store.getState().traceId, '42');
    const row = { traceId: '9', stepId: 9, type: 'a', lastType: 'a', state: 'done' as const, steps: 1, createdAt: 0, queuedAt: 0, finishedAt: 1, error: null };
    store.getState().setExplorerResults([row], 9, false);
    store.getState().setExplorerResults([{ ...row, traceId: '8', stepId: 8 }], null, true);
    assert.deepEqual(
      store.getState().explorer.rows.map((r) => r.traceId),
      ['9', '8'],
    );
    assert.equal(store.getState().explorer.next, null);
    const session = { type: 'a', instance: 'a#debug', host: '127.0.0.1', port: 9229, webSocketUrl: null, devtoolsUrl: null, taskId: null };
    store.getState().setDebugSession('a', session);
    assert.equal(store.getState().debugSessions.a, session);
    store.getState().setDebugSession('a', null);
    assert.deepEqual(store.getState().debugSessions, {});
  });

  it('puts the trace in the address, and reads it back', () => {
    assert.equal(viewHash('trace', '1234'), '#/trace/1234');
    assert.equal(viewHash('trace', null), '#/trace');
    assert.equal(viewHash('logs', '1234'), '#/logs');
    assert.deepEqual(parseViewHash('#/trace/1234'), { view: 'trace', traceId: '1234' });
    assert.deepEqual(parseViewHash('#/pipeline'), { view: 'pipeline', traceId: null });
    assert.equal(parseViewHash('#/trace/12x'), null);
    assert.equal(parseViewHash('#/nope'), null);
    assert.equal(createAppStore({ view: 'trace', traceId: '7' }).getState().traceId, '7');
  });
});
