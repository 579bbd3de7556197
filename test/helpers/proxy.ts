import net from 'node:net';
import path from 'node:path';
import { parse } from 'pg-connection-string';

type Mode = 'pass' | 'stall' | 'refuse';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  /** Bytes held back while stalled, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
  end: () => void;
}

/** Where a proxy forwards to: a loopback TCP port, or a Unix socket (the embedded Postgres's). */
type Target = { host: string; port: number } | { path: string };

/**
 * A TCP proxy on loopback between drones and Postgres, to cut the network for real: drop every
 * connection (and refuse new ones), or stall them (bytes are held, not forwarded, and new
 * connections hang) until resume().
 */
export class TcpProxy {
  private mode: Mode = 'pass';
  private readonly pairs = new Set<Pair>();
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: Target,
  ) {}

  /** A proxy in front of the server of a Postgres URL (TCP on loopback, or a Unix socket as ?host=/dir). */
  static forDatabase(url: string): Promise<TcpProxy> {
    const c = parse(url);
    const port = Number(c.port ?? 5432);
    return TcpProxy.start(c.host?.startsWith('/') ? { path: path.join(c.host, `.s.PGSQL.${port}`) } : { host: c.host ?? '127.0.0.1', port });
  }

  static async start(target: Target): Promise<TcpProxy> {
    if ('host' in target && !['127.0.0.1', 'localhost', '::1'].includes(target.host))
      throw new Error(`the test proxy only forwards to loopback, not ${target.host}`);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port, target);
    server.on('connection', (c) => proxy.accept(c));
    return proxy;
  }

  /** The same database and credentials, over TCP through the proxy. */
  url(direct: string): string {
    const c = parse(direct);
    const auth = c.user ? `${encodeURIComponent(c.user)}${c.password ? `:${encodeURIComponent(c.password)}` : ''}@` : '';
    return `postgres://${auth}127.0.0.1:${this.port}/${encodeURIComponent(c.database ?? 'postgres')}`;
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
      client,
      upstream: null,
      toUpstream: [],
      toClient: [],
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
    const up = 'path' in this.target ? net.connect(this.target.path) : net.connect(this.target.port, this.target.host);
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
      // A reset exists on TCP only; the upstream may be the embedded server's Unix socket.
      if ('path' in this.target) p.upstream?.destroy();
      else p.upstream?.resetAndDestroy();
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
