import net from 'node:net';

type Mode = 'pass' | 'stall' | 'refuse';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Bytes held back while stalled, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
  end: () => void;
}

/**
 * A TCP proxy on loopback between drones and Postgres, to cut the network for real: drop every
 * connection (and refuse new ones), or stall them (bytes are held, not forwarded, and new
 * connections hang) until resume().
 */
export class TcpProxy {
  private mode: Mode = 'pass';
  private readonly pairs = new Set<Pair>();
  private constructor(private readonly server: net.Server, readonly port: number, private readonly target: { host: string; port: number }) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    if (!['127.0.0.1', 'localhost', '::1'].includes(target.host)) throw new Error(`the test proxy only forwards to loopback, not ${target.host}`);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port, target);
    server.on('connection', (c) => proxy.accept(c));
    return proxy;
  }

  /** The same URL, through the proxy. */
  url(direct: string): string {
    const u = new URL(direct);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  get connections(): number {
    return this.pairs.size;
  }

  private accept(client: net.Socket): void {
    client.setNoDelay(true);
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    const pair: Pair = {
      client, upstream: null, toUpstream: [], toClient: [],
      end: () => {
        this.pairs.delete(pair);
        client.destroy();
        pair.upstream?.destroy();
      },
    };
    this.pairs.add(pair);
    const end = pair.end;
    client.on('error', end);
    client.on('close', end);
    client.on('data', (d) => {
      if (this.mode === 'stall' || !pair.upstream) pair.toUpstream.push(d);
      else pair.upstream.write(d);
    });
    if (this.mode !== 'stall') this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    const end = pair.end;
    const up = net.connect(this.target.port, this.target.host);
    up.setNoDelay(true);
    pair.upstream = up;
    up.on('error', end);
    up.on('close', end);
    up.on('data', (d) => {
      if (this.mode === 'stall') pair.toClient.push(d);
      else pair.client.write(d);
    });
    up.on('connect', () => this.flush(pair));
  }

  private flush(pair: Pair): void {
    if (this.mode === 'stall') return;
    if (pair.upstream && !pair.upstream.connecting) for (const d of pair.toUpstream.splice(0)) pair.upstream.write(d);
    for (const d of pair.toClient.splice(0)) pair.client.write(d);
  }

  /** Cuts every open connection at once (both ends see a reset) and refuses new ones until resume(). */
  drop(): void {
    this.mode = 'refuse';
    for (const p of [...this.pairs]) {
      p.client.resetAndDestroy();
      p.upstream?.resetAndDestroy();
    }
    this.pairs.clear();
  }

  /** Stops forwarding: open connections go silent, new ones are accepted but get no answer. */
  stall(): void {
    this.mode = 'stall';
  }

  /** Forwards again, including what was held back while stalled. */
  resume(): void {
    this.mode = 'pass';
    for (const p of this.pairs) {
      if (!p.upstream) this.connectUpstream(p);
      else this.flush(p);
    }
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
