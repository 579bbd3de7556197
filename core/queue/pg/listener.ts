import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { channelFor, quoteIdent } from './sql.js';
import type { WakeupEvents, WakeupState, Wakeups } from '../globalQueue.js';

export interface TaskListenerOptions {
  /** Where LISTEN goes: the queue's database, or the direct connection given for LISTEN only. */
  connectionString: string;
  /** connectionString is a connection given for LISTEN only (it says so in the warning). */
  direct: boolean;
  schema: string;
  /** Sends a NOTIFY on the channel the way enqueuers do: through the queue's pool. Absent: no check. */
  sendProbe?: (channel: string, payload: string) => Promise<void>;
  /** How long a probe may take to come back before notifications count as not arriving. */
  probeTimeoutMs?: number;
}

// Task types cannot contain control characters, so no enqueue ever sends this.
const PROBE = '\u0001probe:';

/**
 * One dedicated connection that LISTENs for new tasks and reconnects on its own (with backoff) when
 * the database goes away. Pool connections cannot LISTEN: they are handed to other queries.
 *
 * A LISTEN that succeeded proves nothing: behind a pooler in transaction mode it ran on a server
 * connection that went back to the pool, and notifications never come. So after each (re)connect
 * the listener sends itself a NOTIFY the way enqueuers do and waits for it; while none has come
 * back the state is "poll" and the drone polls often. Any notification that arrives later turns it
 * back to "notify".
 */
export class TaskListener extends EventEmitter<WakeupEvents> implements Wakeups {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private probe: string | null = null;
  private current: WakeupState = 'down';
  private readonly channel: string;

  constructor(private readonly opts: TaskListenerOptions) {
    super();
    this.channel = channelFor(opts.schema);
  }

  get state(): WakeupState {
    return this.current;
  }

  get direct(): boolean {
    return this.opts.direct;
  }

  start(): void {
    void this.connect();
  }

  private setState(state: WakeupState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit('state', state);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.opts.connectionString, keepAlive: true });
    client.on('notification', (msg) => this.received(msg.payload));
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = 100;
    this.setState('checking');
    this.emit('connected');
    if (this.opts.sendProbe) void this.sendProbe(client, this.opts.sendProbe);
  }

  private received(payload: string | undefined): void {
    if (!payload) return;
    // Whatever arrives proves that notifications arrive.
    if (this.current !== 'notify' && this.client !== null) this.settle('notify');
    if (!payload.startsWith(PROBE)) this.emit('notify', payload);
  }

  private async sendProbe(client: pg.Client, send: NonNullable<TaskListenerOptions['sendProbe']>): Promise<void> {
    const payload = `${PROBE}${randomUUID()}`;
    this.probe = payload;
    try {
      await send(this.channel, payload);
    } catch {
      // The pool could not send it (its connections failing while this one lives): again in a
      // second, while the drone polls often as it does during every check.
      if (this.client !== client || this.current !== 'checking') return;
      this.probeTimer = setTimeout(() => {
        this.probeTimer = null;
        if (this.client === client && this.current === 'checking') void this.sendProbe(client, send);
      }, 1000);
      return;
    }
    if (this.client !== client || this.current !== 'checking' || this.probe !== payload) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      if (this.client === client && this.current === 'checking') this.settle('poll');
    }, this.opts.probeTimeoutMs ?? 3000);
  }

  private settle(state: 'notify' | 'poll'): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.probe = null;
    this.setState(state);
  }

  private lost(client: pg.Client, err: Error): void {
    if (client !== this.client && this.client !== null) return;
    const wasConnected = this.client !== null;
    this.client = null;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.setState('down');
    client.removeAllListeners('end');
    client.end().catch(() => {});
    if (this.stopped) return;
    if (wasConnected || this.retryMs === 100) this.emit('disconnected', err);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
  }
}
