/**
 * A drone that runs elsewhere (`swarmage drone --ui` under systemd, another desktop app), operated
 * through its UI host exactly as a browser would be: one WebSocket to /api with its token, the same
 * contract. To the ProfileManager it looks like a local DroneService: dispatch, snapshot, events,
 * start (connect, and keep reconnecting) and stop (disconnect; the drone itself runs on).
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { EventMessage, ProfilesView, Request, Response, Snapshot } from '../api/contract.js';
import { isMethod, unknownMethod, type Outcome } from '../api/dispatcher.js';
import { isProfileMethod } from '../api/contract.js';
import type { Logger } from '../log/logger.js';
import { VERSION } from '../util/version.js';
import { reason } from '../util/redact.js';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;

type State = 'stopped' | 'connecting' | 'open' | 'retrying';

export class RemoteDrone extends EventEmitter<{ event: [EventMessage] }> {
  private ws: WebSocket | null = null;
  private state: State = 'stopped';
  private lastError: string | null = null;
  private retryAt: number | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private nextId = 1;
  private readonly pending = new Map<number, (out: Outcome) => void>();
  /** The profile of the remote host that this one operates: its first. */
  private remoteProfile: string | undefined;
  private last: Snapshot | null = null;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Connects; resolves once connected or once the first attempt failed (it keeps retrying). */
  async start(): Promise<void> {
    if (this.state !== 'stopped') return;
    this.attempt = 0;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'detached');
    this.failPending('detached from the drone');
    this.changed();
  }

  snapshot(): Snapshot {
    const state = this.state === 'open' ? (this.last?.app.state ?? 'starting') : this.state === 'stopped' ? 'stopped' : this.lastError ? 'error' : 'starting';
    const error = this.state === 'open' ? (this.last?.app.error ?? null) : this.state === 'stopped' ? null : this.lastError;
    return {
      app: {
        state,
        error,
        configFile: this.last?.app.configFile ?? null,
        retryAt: this.state === 'retrying' ? this.retryAt : (this.last?.app.retryAt ?? null),
        version: this.last?.app.version ?? VERSION,
        lastFailureAt: this.last?.app.lastFailureAt ?? null,
      },
      drone: this.state === 'open' ? (this.last?.drone ?? null) : null,
    };
  }

  readonly dispatch = async (method: unknown, args: unknown): Promise<Outcome> => {
    if (!isMethod(method) || isProfileMethod(method)) return unknownMethod(method);
    if (method === 'drone.snapshot') return { ok: true, result: this.snapshot() };
    return this.call(method, args);
  };

  private call(method: string, args: unknown): Promise<Outcome> {
    const ws = this.ws;
    if (!ws || this.state !== 'open') {
      return Promise.resolve({
        ok: false,
        error: { code: 'failed', message: `not connected to the drone at ${this.url}${this.lastError ? `: ${this.lastError}` : ''}` },
      });
    }
    const id = this.nextId++;
    const req: Request = { id, method, args, profile: this.remoteProfile };
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      ws.send(JSON.stringify(req), (err) => {
        if (!err) return;
        this.pending.delete(id);
        resolve({ ok: false, error: { code: 'failed', message: `${method}: could not send to ${this.url}: ${err.message}` } });
      });
    });
  }

  private socketUrl(): string {
    const u = new URL(this.url);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.pathname = '/api';
    u.search = '';
    u.hash = '';
    return u.toString();
  }

  private connect(): Promise<void> {
    this.state = this.attempt === 0 ? 'connecting' : 'retrying';
    this.changed();
    return new Promise((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) resolve();
        settled = true;
      };
      let ws: WebSocket;
      try {
        ws = new WebSocket(this.socketUrl(), { headers: { Authorization: `Bearer ${this.token}` }, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
      } catch (err) {
        this.lost(`bad address ${this.url}: ${reason(err)}`);
        settle();
        return;
      }
      this.ws = ws;
      ws.on('open', () => {
        void this.opened(ws).finally(settle);
      });
      ws.on('message', (raw) => this.onMessage(String(raw)));
      ws.on('error', (err) => {
        if (this.ws === ws) this.lastError = describeSocketError(err);
      });
      ws.on('unexpected-response', (_req, res) => {
        this.lastError = res.statusCode === 401 ? 'the drone refused the token (401): copy it again from the drone\'s "swarmage ui"' : `HTTP ${res.statusCode}`;
        ws.terminate();
      });
      ws.on('close', (code) => {
        if (this.ws !== ws) return;
        this.ws = null;
        if (code === 4401) this.lastError = 'the drone refused the token: copy it again from the drone\'s "swarmage ui"';
        this.lost(this.lastError ?? `the connection closed (${code})`);
        settle();
      });
    });
  }

  /** Learns which of the remote host's drones to operate, and its state, before saying "connected". */
  private async opened(ws: WebSocket): Promise<void> {
    this.state = 'open';
    this.attempt = 0;
    const list = await this.call('profiles.list', {});
    if (this.ws !== ws) return;
    this.remoteProfile = list.ok ? (list.result as ProfilesView).profiles[0]?.id : undefined;
    const snap = await this.call('drone.snapshot', {});
    if (snap.ok) this.last = snap.result as Snapshot;
    this.lastError = null;
    this.log.info(`attached to the drone at ${this.url}`);
    this.changed();
  }

  private lost(why: string): void {
    this.failPending(why);
    if (this.state === 'stopped') return;
    this.lastError = why;
    const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.attempt, 5));
    this.attempt++;
    this.retryAt = Date.now() + wait;
    this.state = 'retrying';
    if (this.attempt === 1) this.log.warn(`lost the drone at ${this.url}: ${why}; retrying`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, wait);
    this.changed();
  }

  private failPending(why: string): void {
    for (const resolve of this.pending.values()) resolve({ ok: false, error: { code: 'failed', message: `the drone at ${this.url}: ${why}` } });
    this.pending.clear();
  }

  private onMessage(text: string): void {
    let msg: Response | EventMessage;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if ('id' in msg) {
      const resolve = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      resolve?.(msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error });
      return;
    }
    // The remote host's own profile list and its other drones are not this profile's business.
    if (msg.event === 'profiles' || msg.event === 'navigate' || (msg.profile !== undefined && msg.profile !== this.remoteProfile)) return;
    if (msg.event === 'snapshot') this.last = msg.data as Snapshot;
    this.emit('event', { event: msg.event, data: msg.data });
  }

  private changed(): void {
    this.emit('event', { event: 'snapshot', data: this.snapshot() });
  }
}

function describeSocketError(err: Error & { code?: string }): string {
  if (err.code === 'ECONNREFUSED') return 'nothing listens there (connection refused): is the drone running with --ui?';
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `the host name does not resolve (${err.code})`;
  if (/certificate|self.signed/i.test(err.message)) return `its TLS certificate is not trusted here: ${err.message}`;
  return err.message;
}
