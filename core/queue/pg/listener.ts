import pg from 'pg';
import { EventEmitter } from 'node:events';
import { channelFor, quoteIdent } from './sql.js';
import type { WakeupEvents, Wakeups } from '../globalQueue.js';

/**
 * One dedicated connection that LISTENs for new tasks and reconnects on its own (with backoff) when
 * the database goes away. Pool connections cannot LISTEN: they are handed to other queries.
 */
export class TaskListener extends EventEmitter<WakeupEvents> implements Wakeups {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | null = null;
  connected = false;

  constructor(
    private readonly connectionString: string,
    private readonly schema: string,
  ) {
    super();
  }

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    client.on('notification', (msg) => {
      if (msg.payload) this.emit('notify', msg.payload);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(channelFor(this.schema))}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.connected = true;
    this.retryMs = 100;
    this.emit('connected');
  }

  private lost(client: pg.Client, err: Error): void {
    if (client !== this.client && this.client !== null) return;
    const wasConnected = this.connected;
    this.client = null;
    this.connected = false;
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
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
  }
}
