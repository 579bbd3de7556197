/**
 * The global queue through a gateway (queue.module "remote"): every GlobalQueue call is one frame on
 * one WebSocket, answered by the gateway from Postgres. The drone's batching carries over as it
 * is: a claim with its acknowledgements is still one round trip, now to the gateway and from there
 * to Postgres.
 *
 * A call made while the link is down fails at once with a connection error (code ECONNREFUSED or
 * ECONNRESET), which the drone treats as the database being unreachable: it retries, and every
 * operation is safe to repeat. A link that stops answering (a stalled network) is found by pings
 * and cut, so that nothing waits on it forever.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { FailedTask, FailureGroup, FleetDrone, GlobalTask, QueueTypeRow } from '../../api/types.js';
import type { BrowseQuery, FailedFilter, FailedSelection, GlobalQueue, WakeupEvents, WakeupState, Wakeups } from '../globalQueue.js';
import type { ClaimRequest, ClaimedTask, Completion, DroneRow, Failure, NewTask, ResumePoint, TaskProgress } from '../types.js';
import { checkNewTask, TaskInputError } from '../validate.js';
import { CLOSE_REVOKED, decode, encodeCall, MAX_FRAME, type Grants, type RemoteMethod, type ServerFrame, type WireError } from './protocol.js';

export interface RemoteQueueOptions {
  /** ws:// or wss:// address of a gateway. */
  url: string;
  token: string;
  /** How often the link is pinged; two pings without a pong cut it. */
  pingMs?: number;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
const HANDSHAKE_MS = 10_000;

/** A failure of the link itself, coded the way a failed database connection is (core/drone/dbErrors.ts). */
class LinkError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class RemoteQueue implements GlobalQueue {
  private ws: WebSocket | null = null;
  private open = false;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private grants: Grants | null = null;
  private gatewayWakeups: WakeupState = 'down';
  private readonly listeners = new Set<RemoteWakeups>();
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: RemoteQueueOptions) {}

  /** What the gateway's token allows, once connected. */
  get token(): Grants | null {
    return this.grants;
  }

  get url(): string {
    return this.opts.url;
  }

  // ---- The link ----

  private ensure(): Promise<void> {
    if (this.closed) return Promise.reject(new LinkError('the remote queue is closed', 'ECONNRESET'));
    if (this.open) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.opts.url, {
        headers: { Authorization: `Bearer ${this.opts.token}` },
        maxPayload: MAX_FRAME,
        handshakeTimeout: HANDSHAKE_MS,
      });
      this.ws = ws;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(welcomeTimer);
        reject(err);
      };
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString().slice(0, 500)));
        res.on('end', () => {
          const why = body.trim() || res.statusMessage || 'refused';
          // Not a connection error: the same token will be refused again; the drone stops and says so.
          const err = new Error(`gateway ${this.opts.url} refused the connection (HTTP ${res.statusCode}): ${why}`);
          (err as NodeJS.ErrnoException).code = res.statusCode === 401 ? 'EACCES' : 'ECONNREFUSED';
          fail(err);
          ws.terminate();
        });
      });
      // Upgraded but never welcomed (a gateway that hangs): give up like a refused connection.
      const welcomeTimer = setTimeout(() => {
        if (settled) return;
        fail(new LinkError(`gateway ${this.opts.url}: no welcome within ${HANDSHAKE_MS} ms`, 'ETIMEDOUT'));
        ws.terminate();
      }, HANDSHAKE_MS);
      ws.on('error', (err) => fail(new LinkError(`gateway ${this.opts.url}: ${err.message}`, (err as NodeJS.ErrnoException).code ?? 'ECONNRESET')));
      ws.on('message', (data) => {
        let frame: ServerFrame;
        try {
          frame = decode(data.toString()) as ServerFrame;
        } catch {
          return;
        }
        if ('ev' in frame && frame.ev === 'welcome') {
          this.grants = frame.grants;
          this.gatewayWakeups = frame.wakeups;
          this.open = true;
          this.retryMs = RETRY_MIN_MS;
          settled = true;
          clearTimeout(welcomeTimer);
          this.startPings(ws);
          resolve();
          for (const l of this.listeners) l.linkUp();
          return;
        }
        this.received(frame);
      });
      ws.on('close', (code, why) => {
        const text = why.toString();
        const err =
          code === CLOSE_REVOKED
            ? Object.assign(new Error(`gateway ${this.opts.url}: the token was revoked`), { code: 'EACCES' })
            : new LinkError(`lost the link to the gateway ${this.opts.url} (${code}${text ? `: ${text}` : ''})`, 'ECONNRESET');
        fail(err);
        this.lost(ws, err);
      });
    });
  }

  private startPings(ws: WebSocket): void {
    let answered = true;
    ws.on('pong', () => (answered = true));
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (!answered) {
        ws.terminate(); // 'close' follows: calls in flight fail, and the link is made again
        return;
      }
      answered = false;
      ws.ping();
    }, this.opts.pingMs ?? 5000);
  }

  private lost(ws: WebSocket, err: Error): void {
    if (this.ws !== ws) return;
    this.ws = null;
    const wasOpen = this.open;
    this.open = false;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    for (const [, p] of this.pending) p.reject(err);
    this.pending.clear();
    if (wasOpen) for (const l of this.listeners) l.linkDown(err);
    this.scheduleReconnect();
  }

  /** Wake-ups need the link even while the drone makes no call: keep making it while anyone listens. */
  private scheduleReconnect(): void {
    if (this.closed || this.listeners.size === 0 || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.ensure().catch(() => this.scheduleReconnect());
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private received(frame: ServerFrame): void {
    if ('id' in frame) {
      const p = this.pending.get(frame.id);
      if (!p) return;
      this.pending.delete(frame.id);
      if ('e' in frame) p.reject(remoteError(frame.e));
      else p.resolve(frame.r);
      return;
    }
    if (frame.ev === 'notify') for (const l of this.listeners) l.emit('notify', frame.type);
    else if (frame.ev === 'wakeups') {
      this.gatewayWakeups = frame.state;
      for (const l of this.listeners) l.changed();
    } else if (frame.ev === 'relisten') for (const l of this.listeners) l.emit('connected');
  }

  private async call<T>(m: RemoteMethod, ...a: unknown[]): Promise<T> {
    await this.ensure();
    const ws = this.ws;
    if (!ws || !this.open) throw new LinkError(`lost the link to the gateway ${this.opts.url}`, 'ECONNRESET');
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(encodeCall({ id, m, a }), (err) => {
        if (!err || !this.pending.delete(id)) return;
        reject(new LinkError(`gateway ${this.opts.url}: ${err.message}`, 'ECONNRESET'));
      });
    });
  }

  // ---- GlobalQueue ----

  /** The gateway migrated the schema when it started; this checks that it answers and the token is good. */
  migrate(): Promise<number[]> {
    return this.call('migrate');
  }
  async enqueue(tasks: NewTask[]): Promise<string[]> {
    // The same checks and messages as on Postgres, before anything travels.
    tasks.forEach((t, i) => checkNewTask(t, tasks.length > 1 ? `tasks[${i}]` : 'task'));
    return this.call('enqueue', tasks);
  }
  claim(droneId: string, wants: ClaimRequest[], leaseMs: number, ackIds?: string[]): Promise<ClaimedTask[]> {
    return this.call('claim', droneId, wants, leaseMs, ackIds);
  }
  complete(droneId: string, done: Completion[]): Promise<unknown> {
    return this.call('complete', droneId, done);
  }
  fail(droneId: string, failures: Failure[]): Promise<unknown> {
    return this.call('fail', droneId, failures);
  }
  release(droneId: string, ids: string[], resumeAt?: ResumePoint[]): Promise<number> {
    return this.call('release', droneId, ids, resumeAt);
  }
  releaseAllExcept(droneId: string, keep: string[]): Promise<number> {
    return this.call('releaseAllExcept', droneId, keep);
  }
  async reclaim(droneId: string, ids: string[], leaseMs: number): Promise<Set<string>> {
    return new Set(await this.call<string[]>('reclaim', droneId, ids, leaseMs));
  }
  heartbeat(drone: DroneRow, leaseMs: number, held?: string[]): Promise<number> {
    return this.call('heartbeat', drone, leaseMs, held);
  }
  rescueExpired(): Promise<string[]> {
    return this.call('rescueExpired');
  }
  deregister(droneId: string): Promise<void> {
    return this.call('deregister', droneId);
  }
  fileId(droneId: string): string {
    return this.grants ? `${this.grants.name}/${droneId}` : droneId;
  }
  overview(cap: number): Promise<QueueTypeRow[]> {
    return this.call('overview', cap);
  }
  countType(type: string): Promise<{ available: number; scheduled: number; claimed: number; failed: number }> {
    return this.call('countType', type);
  }
  fleet(): Promise<FleetDrone[]> {
    return this.call('fleet');
  }
  clock(): Promise<number> {
    return this.call('clock');
  }
  failureGroups(filter: FailedFilter, limit?: number): Promise<FailureGroup[]> {
    return this.call('failureGroups', filter, limit);
  }
  listFailed(opts?: FailedFilter & { afterId?: string; limit?: number }): Promise<FailedTask[]> {
    return this.call('listFailed', opts);
  }
  retryFailed(sel: FailedSelection): Promise<string[]> {
    return this.call('retryFailed', sel);
  }
  deleteFailed(sel: FailedSelection): Promise<string[]> {
    return this.call('deleteFailed', sel);
  }
  findTask(id: string): Promise<GlobalTask | null> {
    return this.call('findTask', id);
  }
  postbacksOf(id: string): Promise<GlobalTask[]> {
    return this.call('postbacksOf', id);
  }
  browse(q: BrowseQuery): Promise<{ tasks: GlobalTask[]; next: string | null }> {
    return this.call('browse', q);
  }
  cancel(ids: string[]): Promise<string[]> {
    return this.call('cancel', ids);
  }
  runNow(ids: string[]): Promise<string[]> {
    return this.call('runNow', ids);
  }
  takePostbacks(type: string, limit: number): Promise<Array<{ id: string; dataJson: string; traceId: string | null }>> {
    return this.call('takePostbacks', type, limit);
  }
  progress(ids: string[], type: string): Promise<TaskProgress> {
    return this.call('progress', ids, type);
  }

  /** The gateway checks its own LISTEN; there is nothing to check per listener. */
  wakeups(): Wakeups {
    return new RemoteWakeups(this);
  }

  /** @internal RemoteWakeups' hooks. */
  listen(l: RemoteWakeups, on: boolean): void {
    if (on) {
      this.listeners.add(l);
      this.ensure().catch(() => this.scheduleReconnect());
    } else this.listeners.delete(l);
  }

  /** @internal */
  linkState(): WakeupState {
    return this.open ? this.gatewayWakeups : 'down';
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    const ws = this.ws;
    if (!ws) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000);
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }
}

/** Wake-ups relayed by the gateway from its one LISTEN; "down" while the link is. */
class RemoteWakeups extends EventEmitter<WakeupEvents> implements Wakeups {
  // They share the drone's one link to the gateway.
  readonly direct = false;
  private last: WakeupState = 'down';

  constructor(private readonly queue: RemoteQueue) {
    super();
  }

  get state(): WakeupState {
    return this.queue.linkState();
  }

  start(): void {
    this.queue.listen(this, true);
    if (this.queue.linkState() !== 'down') this.linkUp();
  }

  async stop(): Promise<void> {
    this.queue.listen(this, false);
  }

  linkUp(): void {
    this.emit('connected');
    this.changed();
  }

  linkDown(err: Error): void {
    this.emit('disconnected', err);
    this.changed();
  }

  changed(): void {
    const now = this.state;
    if (now === this.last) return;
    this.last = now;
    this.emit('state', now);
  }
}

function remoteError(e: WireError): Error {
  const err = e.name === 'TaskInputError' ? new TaskInputError(e.message) : new Error(e.message);
  if (e.code) (err as NodeJS.ErrnoException).code = e.code;
  return err;
}
