import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '../../core/api/contract.js';
import { createClient } from '../../renderer/src/lib/apiClient.js';
import { ApiCallError } from '../../renderer/src/lib/rpc.js';
import { SocketTransport, UNAUTHORIZED_CLOSE, type SocketLike } from '../../renderer/src/lib/socketTransport.js';
import type { ConnectionState } from '../../renderer/src/lib/transport.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000, reason = ''): void {
    this.drop(code, reason);
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  push(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  let now = 1000;
  const transport = new SocketTransport({
    url: 'ws://h/api',
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => {
      (h as { cleared: boolean }).cleared = true;
    },
    now: () => now,
    random: () => 0.5,
  });
  const states: ConnectionState[] = [];
  transport.onState((s) => states.push(s));
  const fire = () => {
    const t = timers.shift();
    assert.ok(t && !t.cleared, 'a reconnect timer is pending');
    now += t.ms;
    t.fn();
  };
  return { transport, sockets, timers, states, fire, last: () => sockets[sockets.length - 1] };
}

describe('WebSocket transport', () => {
  it('sends requests in the wire format and resolves them with their response', async () => {
    const { transport, last } = setup();
    assert.equal(last().url, 'ws://h/api');
    assert.equal(transport.state().status, 'connecting');
    last().open();
    const client = createClient(transport);
    const p = client.call('failed.list', { limit: 10 });
    assert.deepEqual(last().sent, [{ id: 1, method: 'failed.list', args: { limit: 10 } }]);
    last().push({ id: 1, ok: true, result: [] });
    assert.deepEqual(await p, []);
    const bad = client.call('tasks.enqueue', { type: 'x', count: 0 });
    last().push({ id: 2, ok: false, error: { code: 'invalid_args', message: 'count: too small', issues: [{ path: 'count', message: 'too small' }] } });
    await assert.rejects(bad, (err: unknown) => err instanceof ApiCallError && err.code === 'invalid_args' && err.issues?.[0].path === 'count');
  });

  it('holds calls made while connecting and sends them once open; fails them if the connect fails', async () => {
    const { transport, last, fire } = setup();
    const early = transport.invoke('config.get', {});
    assert.deepEqual(last().sent, []);
    last().open();
    assert.deepEqual(last().sent, [{ id: 1, method: 'config.get', args: {} }]);
    last().push({ id: 1, ok: true, result: { file: null, text: '{}' } });
    assert.equal((await early).ok, true);
    last().drop(1006);
    fire();
    const doomed = transport.invoke('config.get', {});
    last().drop(1006);
    await assert.rejects(doomed, /closed before it answered/);
  });

  it('delivers pushed events by name', () => {
    const { transport, last } = setup();
    last().open();
    const client = createClient(transport);
    const got: unknown[] = [];
    const off = client.on('logs', (lines) => got.push(lines.length));
    client.on('snapshot', (s) => got.push(s.app.state));
    last().push({ event: 'logs', data: [{ seq: 1, time: 1, level: 'info', msg: 'x' }] } satisfies EventMessage);
    last().push({ event: 'snapshot', data: { app: { state: 'running' }, drone: null } });
    off();
    last().push({ event: 'logs', data: [] });
    assert.deepEqual(got, [1, 'running']);
  });

  it('rejects open calls when the socket closes, then reconnects with growing backoff', async () => {
    const { transport, sockets, timers, states, fire, last } = setup();
    last().open();
    const p = transport.invoke('drone.snapshot', {});
    last().drop(1006);
    await assert.rejects(p, (err: unknown) => err instanceof ApiCallError && err.code === 'disconnected');
    const s1 = transport.state();
    assert.equal(s1.status, 'reconnecting');
    assert.equal(timers[0].ms, 500);
    assert.ok(s1.status === 'reconnecting' && s1.retryAt === 1500 && s1.attempt === 1);
    await assert.rejects(transport.invoke('drone.snapshot', {}), /not connected/);
    fire();
    assert.equal(sockets.length, 2);
    last().drop(1006);
    assert.equal(timers[0].ms, 1000, 'the second wait is twice the first');
    fire();
    last().open();
    assert.equal(transport.state().status, 'open');
    last().drop(1001);
    assert.equal(timers[0].ms, 500, 'a successful open resets the backoff');
    assert.deepEqual(
      states.map((s) => s.status),
      ['open', 'reconnecting', 'connecting', 'reconnecting', 'connecting', 'open', 'reconnecting'],
    );
  });

  it('reconnect now skips the wait', () => {
    const { transport, sockets, timers, last } = setup();
    last().drop(1006);
    transport.reconnectNow();
    assert.equal(timers[0].cleared, true);
    assert.equal(sockets.length, 2);
  });

  it('stops on close code 4401: the token is missing or wrong', () => {
    const { transport, timers, last } = setup();
    last().drop(UNAUTHORIZED_CLOSE, 'unauthorized');
    assert.equal(transport.state().status, 'unauthorized');
    assert.equal(timers.length, 0);
  });

  it('ignores frames it cannot read', () => {
    const { transport, last } = setup();
    last().open();
    const events: EventMessage[] = [];
    transport.subscribe((m) => events.push(m));
    last().onmessage?.({ data: 'garbage' });
    last().push({ event: 'unknown', data: 1 });
    assert.equal(events.length, 0);
    assert.equal(transport.state().status, 'open');
  });
});
