/**
 * The browser transport: one WebSocket speaking contract.ts's wire format, reconnecting with
 * backoff. It sees the socket and the clock only through the interfaces below, so it runs in a
 * test under Node with a fake socket.
 */
import type { EventMessage, MethodName } from '../../../core/api/contract.js';
import { reconnectDelayMs } from './backoff.js';
import { Emitter } from './emitter.js';
import { RequestTable, disconnectedError, parseIncoming, type Outcome } from './rpc.js';
import type { ConnectionState, Transport } from './transport.js';

export const UNAUTHORIZED_CLOSE = 4401;
const OPEN = 1;

/** The part of the DOM WebSocket we use. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface SocketTransportOptions {
  url: string;
  createSocket: (url: string) => SocketLike;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  now?: () => number;
  random?: () => number;
  onInvalidFrame?: (reason: string) => void;
}

type Internal = { state: ConnectionState; message: EventMessage };

export class SocketTransport implements Transport {
  private socket: SocketLike | null = null;
  private current: ConnectionState = { status: 'connecting', attempt: 0 };
  private readonly requests = new RequestTable();
  private queued: string[] = [];
  private readonly emitter = new Emitter<Internal>();
  private attempt = 0;
  private timer: unknown = null;
  private closedByUs = false;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly now: () => number;

  constructor(private readonly opts: SocketTransportOptions) {
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as Parameters<typeof clearTimeout>[0]));
    this.now = opts.now ?? Date.now;
    this.connect();
  }

  invoke(method: MethodName, args: unknown, profile?: string): Promise<Outcome> {
    const socket = this.socket;
    const open = socket !== null && socket.readyState === OPEN && this.current.status === 'open';
    // While a connection is being made, calls wait for it (views fetch on mount, often before the
    // socket is up); while waiting out a backoff they fail at once rather than hang.
    if (!open && this.current.status !== 'connecting') {
      return Promise.reject(disconnectedError(`not connected to the drone (${this.current.status}); try again when it is back`));
    }
    const { message, promise } = this.requests.open(method, args, profile);
    if (open) socket.send(message);
    else this.queued.push(message);
    return promise;
  }

  subscribe(listener: (msg: EventMessage) => void): () => void {
    return this.emitter.on('message', listener);
  }

  state(): ConnectionState {
    return this.current;
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    return this.emitter.on('state', listener);
  }

  reconnectNow(): void {
    if (this.current.status !== 'reconnecting') return;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.connect();
  }

  /** For tests and page unload: no reconnect after this. */
  close(): void {
    this.closedByUs = true;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.socket?.close(1000, 'closed by the page');
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.emitter.emit('state', state);
  }

  private connect(): void {
    this.setState({ status: 'connecting', attempt: this.attempt });
    let socket: SocketLike;
    try {
      socket = this.opts.createSocket(this.opts.url);
    } catch (err) {
      this.scheduleReconnect(err instanceof Error ? err.message : String(err));
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      const queued = this.queued;
      this.queued = [];
      for (const message of queued) socket.send(message);
      this.setState({ status: 'open' });
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      this.receive(typeof ev.data === 'string' ? ev.data : String(ev.data));
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.queued = [];
      this.requests.failAll(disconnectedError('the connection to the drone closed before it answered'));
      if (this.closedByUs) return;
      if (ev.code === UNAUTHORIZED_CLOSE) {
        this.setState({ status: 'unauthorized' });
        return;
      }
      this.scheduleReconnect(ev.reason || `connection closed (code ${ev.code})`);
    };
    // A failed connect is followed by a close event, which does the bookkeeping.
    socket.onerror = () => {};
  }

  private scheduleReconnect(reason: string): void {
    const delay = reconnectDelayMs(this.attempt, this.opts.random);
    const attempt = ++this.attempt;
    this.setState({ status: 'reconnecting', retryAt: this.now() + delay, attempt, reason });
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  private receive(text: string): void {
    const msg = parseIncoming(text);
    if (msg.kind === 'response') {
      this.requests.settle(msg.response);
    } else if (msg.kind === 'event') {
      this.emitter.emit('message', msg.event);
    } else {
      this.opts.onInvalidFrame?.(msg.reason);
    }
  }
}
