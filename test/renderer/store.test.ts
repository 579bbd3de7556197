import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Events, ProfileInfo, ProfilesView, DroneSnapshot, LogLine, Snapshot } from '../../core/api/contract.js';
import type { Client } from '../../renderer/src/lib/apiClient.js';
import { Emitter } from '../../renderer/src/lib/emitter.js';
import type { ConnectionState } from '../../renderer/src/lib/transport.js';
import { createAppStore } from '../../renderer/src/store/appStore.js';
import { databaseProblem, typeNames } from '../../renderer/src/store/selectors.js';
import { startSync } from '../../renderer/src/store/sync.js';
import { profileInfo } from '../helpers/profiles.js';

function drone(over: Partial<DroneSnapshot> = {}): DroneSnapshot {
  return {
    id: 'd1',
    host: 'h',
    pid: 1,
    state: 'running',
    startedAt: 0,
    database: { url: 'postgres://x@db/q', connected: true, lastError: null, retryAt: null, state: 'connected', source: 'config' },
    wakeups: { state: 'notify', direct: false, pollMs: 2000 },
    types: [
      {
        type: 'factorial',
        instances: 1,
        capacity: 15,
        flow: 'fixed',
        claimSize: 15,
        prefetch: null,
        serviceRate: null,
        buffered: 3,
        running: 1,
        done: 10,
        failed: 0,
        rate: 2,
        history: [1, 2, 3],
      },
    ],
    workers: [],
    outbox: 0,
    edges: [],
    hotReload: false,
    ...over,
  };
}
const snap = (d: DroneSnapshot | null, state: Snapshot['app']['state'] = 'running'): Snapshot => ({
  app: { state, error: null, configFile: null, retryAt: null, version: '0.1.0', lastFailureAt: null },
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

  it('says what is wrong with the database in the words of its state, with the URL and the error', () => {
    const db = (state: DroneSnapshot['database']['state'], lastError: string) =>
      drone({
        database: { url: 'postgres://x@db/q', connected: state !== 'unreachable' && state !== 'timeout', lastError, retryAt: null, state, source: 'config' },
      });
    assert.equal(databaseProblem(drone()), null);
    assert.equal(databaseProblem(db('unreachable', 'ECONNREFUSED')), 'Database unreachable at postgres://x@db/q: ECONNREFUSED');
    assert.equal(
      databaseProblem(db('error', 'heartbeat: permission denied for table drones (SQLSTATE 42501)')),
      'Database error at postgres://x@db/q: heartbeat: permission denied for table drones (SQLSTATE 42501)',
    );
    assert.equal(
      databaseProblem(db('timeout', 'no answer from the database within 500 ms')),
      'Database not answering at postgres://x@db/q: no answer from the database within 500 ms',
    );
  });

  it('says "queue", not "database", for a drone that reaches its queue through a gateway', () => {
    const remote = drone({
      database: { url: 'gateway wss://gw:7071', connected: false, lastError: 'lost the link', retryAt: null, state: 'unreachable', source: 'gateway' },
    });
    assert.equal(databaseProblem(remote), 'Queue unreachable at gateway wss://gw:7071: lost the link');
    const named = drone({
      database: { ...remote.database, lastError: 'lost the link to the gateway wss://gw:7071 (1006)' },
    });
    assert.equal(databaseProblem(named), 'Queue unreachable: lost the link to the gateway wss://gw:7071 (1006)', 'the address once');
  });

  it('reads a snapshot without the state (a drone of an older version) by whether it is connected', () => {
    const old = (connected: boolean) => {
      const d = drone({
        database: { url: 'postgres://x@db/q', connected, lastError: connected ? null : 'ECONNREFUSED', retryAt: null } as DroneSnapshot['database'],
      });
      return databaseProblem(d);
    };
    assert.equal(old(true), null);
    assert.equal(old(false), 'Database unreachable at postgres://x@db/q: ECONNREFUSED');
  });
});

/** A client whose calls the test answers by hand. */
function fakeClient() {
  const events = new Emitter<Events & { state: ConnectionState }>();
  let state: ConnectionState = { status: 'connecting', attempt: 0 };
  let profile: string | null = null;
  const calls: Array<{ method: string; profile: string | null; resolve: (v: unknown) => void }> = [];
  const client: Client = {
    call: ((method: string) => new Promise<unknown>((resolve) => calls.push({ method, profile, resolve }))) as Client['call'],
    on: (event, fn) => events.on(event, fn as never),
    connection: () => state,
    onConnection: (fn) => events.on('state', fn),
    reconnectNow: () => {},
    profile: () => profile,
    setProfile: (id) => (profile = id),
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

const tick = () => new Promise((r) => setTimeout(r, 0));
const profile = (id: string, name = id): ProfileInfo => profileInfo({ id, name, configFile: `/p/${id}.json` });
const profiles = (...ids: string[]): ProfilesView => ({ profiles: ids.map((id) => profile(id)), recent: [], editable: true, canPick: false });

describe('store sync', () => {
  it("on (re)connect fetches the profiles, then the shown drone's snapshot and recent logs, holding live lines back until they are in", async () => {
    const store = createAppStore();
    const f = fakeClient();
    startSync(store, f.client);
    assert.equal(store.getState().connection.status, 'connecting');
    f.setState({ status: 'open' });
    assert.deepEqual(
      f.calls.map((c) => c.method),
      ['profiles.list'],
    );
    f.calls[0].resolve(profiles('a', 'b'));
    await tick();
    assert.equal(store.getState().profile, 'a', 'the first drone is shown');
    assert.deepEqual(
      f.calls.slice(1).map((c) => [c.method, c.profile]),
      [
        ['drone.snapshot', 'a'],
        ['logs.recent', 'a'],
      ],
    );
    f.events.emit('logs', [log(5), log(6)]);
    assert.equal(store.getState().logBuffer.size, 0, 'held while the recent lines are on their way');
    f.calls[1].resolve(snap(drone()));
    f.calls[2].resolve([log(1), log(2), log(3), log(4), log(5)]);
    await tick();
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
    assert.equal(f.calls.at(-1)!.method, 'profiles.list', 're-fetched on reconnect');
  });

  it("switching drones clears the previous one's snapshot and logs and fetches the new one's; a removed drone gives way to another", async () => {
    const store = createAppStore();
    const f = fakeClient();
    const saved: Array<string | null> = [];
    startSync(store, f.client, () => {}, { load: () => 'b', save: (id) => saved.push(id) });
    f.setState({ status: 'open' });
    f.calls[0].resolve(profiles('a', 'b'));
    await tick();
    assert.equal(store.getState().profile, 'b', 'the drone shown last time');
    f.calls[1].resolve(snap(drone({ id: 'drone-b' })));
    f.calls[2].resolve([log(1)]);
    await tick();
    assert.equal(store.getState().logs.length, 1);

    store.getState().selectProfile('a');
    assert.equal(store.getState().snapshot, null, "b's snapshot is gone at once");
    assert.equal(store.getState().logs.length, 0, "and b's logs");
    assert.equal(f.client.profile(), 'a', 'calls now go to a');
    assert.deepEqual(
      f.calls.slice(3).map((c) => [c.method, c.profile]),
      [
        ['drone.snapshot', 'a'],
        ['logs.recent', 'a'],
      ],
    );
    assert.deepEqual(saved, ['b', 'a']);
    f.calls[3].resolve(snap(drone({ id: 'drone-a' })));
    f.calls[4].resolve([log(1), log(2)]);
    await tick();
    assert.equal(store.getState().logs.length, 2, "a's own seq numbers are not mistaken for b's repeats");
    assert.equal(store.getState().snapshot?.drone?.id, 'drone-a');

    f.events.emit('profiles', profiles('b'));
    assert.equal(store.getState().profile, 'b', 'a was removed: b is shown');
    f.events.emit('profiles', profiles());
    assert.equal(store.getState().profile, null, 'no drone left: the first-run screen');
  });

  it('a navigate event (a notification clicked) shows that drone, that view and that cause', async () => {
    const store = createAppStore();
    const f = fakeClient();
    startSync(store, f.client);
    f.setState({ status: 'open' });
    f.calls[0].resolve(profiles('a', 'b'));
    await tick();
    assert.equal(store.getState().profile, 'a');
    f.events.emit('navigate', { view: 'failures', profile: 'b', group: '0123456789abcdef' });
    assert.equal(store.getState().profile, 'b');
    assert.equal(store.getState().view, 'failures');
    assert.equal(store.getState().focusGroup, '0123456789abcdef');
    assert.equal(f.client.profile(), 'b', 'and its calls go to b');
    f.events.emit('navigate', { view: 'add-profile' });
    assert.equal(store.getState().addingProfile, true);
    store.getState().setView('overview');
    assert.equal(store.getState().addingProfile, false, 'choosing a view leaves the add screen');
  });
});
