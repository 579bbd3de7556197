import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DroneSnapshot, LogLine, Snapshot } from '../../core/api/contract.js';
import type { Client } from '../../renderer/src/lib/apiClient.js';
import { Emitter } from '../../renderer/src/lib/emitter.js';
import type { ConnectionState } from '../../renderer/src/lib/transport.js';
import { createAppStore } from '../../renderer/src/store/appStore.js';
import { databaseProblem, typeNames } from '../../renderer/src/store/selectors.js';
import { startSync } from '../../renderer/src/store/sync.js';

function drone(over: Partial<DroneSnapshot> = {}): DroneSnapshot {
  return {
    id: 'd1',
    host: 'h',
    pid: 1,
    state: 'running',
    startedAt: 0,
    database: { url: 'postgres://x@db/q', connected: true, lastError: null, retryAt: null },
    types: [{ type: 'factorial', instances: 1, capacity: 15, buffered: 3, running: 1, done: 10, failed: 0, rate: 2, history: [1, 2, 3] }],
    workers: [],
    outbox: 0,
    edges: [],
    hotReload: false,
    ...over,
  };
}
const snap = (d: DroneSnapshot | null, state: Snapshot['app']['state'] = 'running'): Snapshot => ({
  app: { state, error: null, configFile: null, retryAt: null, version: '0.1.0' },
  drone: d,
});
const log = (seq: number, msg = `m${seq}`): LogLine => ({ seq, time: 1000 + seq, level: 'info', msg });

describe('app store', () => {
  it('takes snapshots and keeps the last series per type while the drone restarts', () => {
    const store = createAppStore();
    store.getState().applySnapshot(snap(drone()));
    assert.deepEqual(store.getState().series.factorial, { history: [1, 2, 3], rate: 2 });
    assert.deepEqual(typeNames(store.getState().snapshot), ['factorial']);
    store.getState().applySnapshot(snap(null, 'restarting'));
    assert.equal(store.getState().snapshot?.app.state, 'restarting');
    assert.deepEqual(store.getState().series.factorial.history, [1, 2, 3]);
  });

  it('appends logs to a bounded buffer and bumps the version only when something changed', () => {
    const store = createAppStore({ logCapacity: 3 });
    store.getState().appendLogs([log(1), log(2)]);
    assert.equal(store.getState().logsVersion, 1);
    store.getState().appendLogs([log(2)]);
    assert.equal(store.getState().logsVersion, 1, 'a repeat changes nothing');
    store.getState().appendLogs([log(3), log(4)]);
    const { logs, logBuffer } = store.getState();
    assert.equal(logBuffer.size, 3);
    assert.deepEqual(
      [0, 1, 2].map((i) => logs.line(i)?.seq),
      [2, 3, 4],
    );
    store.getState().setLogFilter({ text: 'm4' });
    assert.equal(store.getState().logs.length, 1);
    const v = store.getState().logsVersion;
    store.getState().setLogFilter({ text: 'm4' });
    assert.equal(store.getState().logsVersion, v, 'the same filter again does not rescan');
    store.getState().clearLogs();
    assert.equal(store.getState().logs.length, 0);
  });

  it('says when the database is unreachable, with the URL and the error', () => {
    assert.equal(databaseProblem(drone()), null);
    assert.equal(
      databaseProblem(drone({ database: { url: 'postgres://x@db/q', connected: false, lastError: 'ECONNREFUSED', retryAt: null } })),
      'Database unreachable at postgres://x@db/q: ECONNREFUSED',
    );
  });
});

/** A client whose calls the test answers by hand. */
function fakeClient() {
  const events = new Emitter<{ snapshot: Snapshot; logs: LogLine[]; state: ConnectionState }>();
  let state: ConnectionState = { status: 'connecting', attempt: 0 };
  const calls: Array<{ method: string; resolve: (v: unknown) => void }> = [];
  const client: Client = {
    call: ((method: string) => new Promise<unknown>((resolve) => calls.push({ method, resolve }))) as Client['call'],
    on: (event, fn) => events.on(event, fn as never),
    connection: () => state,
    onConnection: (fn) => events.on('state', fn),
    reconnectNow: () => {},
  };
  return {
    client,
    calls,
    events,
    setState(s: ConnectionState) {
      state = s;
      events.emit('state', s);
    },
  };
}

describe('store sync', () => {
  it('on (re)connect fetches the snapshot and recent logs, holding live lines back until they are in', async () => {
    const store = createAppStore();
    const f = fakeClient();
    startSync(store, f.client);
    assert.equal(store.getState().connection.status, 'connecting');
    f.setState({ status: 'open' });
    assert.deepEqual(
      f.calls.map((c) => c.method),
      ['drone.snapshot', 'logs.recent'],
    );
    f.events.emit('logs', [log(5), log(6)]);
    assert.equal(store.getState().logBuffer.size, 0, 'held while the recent lines are on their way');
    f.calls[0].resolve(snap(drone()));
    f.calls[1].resolve([log(1), log(2), log(3), log(4), log(5)]);
    await new Promise((r) => setTimeout(r, 0));
    const { logs } = store.getState();
    assert.deepEqual(
      Array.from({ length: logs.length }, (_, i) => logs.line(i)!.seq),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(store.getState().snapshot?.drone?.id, 'd1');
    f.events.emit('logs', [log(7)]);
    assert.equal(store.getState().logs.length, 7, 'live lines flow straight in afterwards');
    f.events.emit('snapshot', snap(drone({ state: 'paused' })));
    assert.equal(store.getState().snapshot?.drone?.state, 'paused');
    f.setState({ status: 'reconnecting', retryAt: 5000, attempt: 1, reason: 'closed' });
    assert.equal(store.getState().connection.status, 'reconnecting');
    f.setState({ status: 'open' });
    assert.equal(f.calls.length, 4, 're-fetched on reconnect');
  });
});
