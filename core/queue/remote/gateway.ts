/**
 * The gateway: the global queue served over WebSockets to drones that have no database access
 * (queue.module "remote"). It holds one Postgres queue and nothing else: every call is answered
 * from Postgres, so any number of gateways can stand behind a load balancer, and one can be killed
 * and restarted under load without a drone losing anything (a call in flight fails; the drone
 * sends it again, and every operation is safe to repeat).
 *
 * Every connection presents a token on its upgrade request (Authorization: Bearer); an unknown
 * token never gets a socket. What the token allows is checked on each call (gatewayCalls.ts).
 */
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GlobalQueue, WakeupState, Wakeups } from '../globalQueue.js';
import type { Logger } from '../../log/logger.js';
import { LogThrottle } from '../../log/throttle.js';
import { reason } from '../../util/redact.js';
import { VERSION } from '../../util/version.js';
import { allowed, CLOSE_REVOKED, CLOSE_SHUTDOWN, decode, encodeReply, MAX_FRAME, type ServerFrame, type WireError } from './protocol.js';
import { grantsOf, type TokenStore } from './tokens.js';
import { runCall, type Caller } from './gatewayCalls.js';

/** Calls of one connection answered at once; a drone makes a handful. */
const MAX_IN_FLIGHT = 64;
/** Output a drone does not read; past it the connection is closed. */
const MAX_BUFFERED = 64 * 1024 * 1024;
const TOKENS_CHECK_MS = 2000;

export interface GatewayOptions {
  queue: GlobalQueue;
  tokens: TokenStore;
  log: Logger;
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
}

interface Connection extends Caller {
  ws: WebSocket;
  inFlight: number;
  from: string;
}

export class Gateway {
  private server: http.Server | null = null;
  private wss: WebSocketServer | null = null;
  private wakeups: Wakeups | null = null;
  private readonly conns = new Set<Connection>();
  private tokenTimer: NodeJS.Timeout | null = null;
  private readonly refusals = new LogThrottle();
  url = '';

  constructor(private readonly opts: GatewayOptions) {}

  get connections(): number {
    return this.conns.size;
  }

  async start(): Promise<void> {
    const { log, tls } = this.opts;
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => void this.health(req, res);
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, onRequest) : http.createServer(onRequest);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
    this.wss.on('error', (err) => log.warn(`gateway WebSocket server: ${err.message}`));
    this.server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => {});
      const from = req.socket.remoteAddress ?? '?';
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      this.opts.tokens.refresh();
      const entry = bearer ? this.opts.tokens.find(bearer) : null;
      if (!entry) {
        const why = bearer ? 'unknown or revoked token' : 'no token (Authorization: Bearer TOKEN)';
        if (this.refusals.due(`${from}:${why}`)) log.warn(`refused a connection from ${from}: ${why}`);
        socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.attach(ws, grantsOf(entry), from));
    });
    this.server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            err.code === 'EADDRINUSE'
              ? `--listen: ${this.opts.host}:${this.opts.port} is already in use; choose another port`
              : `--listen: cannot listen on ${this.opts.host}:${this.opts.port}: ${err.message}`,
          ),
        ),
      );
      this.server!.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.server.on('error', (err) => log.error(`gateway server: ${err.message}`));
    const port = (this.server.address() as { port: number }).port;
    const shown = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    this.url = `${tls ? 'wss' : 'ws'}://${shown}:${port}`;

    const wakeups = this.opts.queue.wakeups();
    this.wakeups = wakeups;
    wakeups.on('notify', (type) => this.notify(type));
    wakeups.on('state', (state) => this.broadcast({ ev: 'wakeups', state }));
    wakeups.on('connected', () => this.broadcast({ ev: 'relisten' }));
    wakeups.on('disconnected', (err) => log.warn(`gateway: lost its LISTEN connection (${reason(err)}); drones poll until it is back`));
    wakeups.start();
    this.tokenTimer = setInterval(() => this.checkTokens(), TOKENS_CHECK_MS);
  }

  /** GET /healthz: 200 when Postgres answers, 503 when not, for a load balancer's health check. */
  private async health(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.url !== '/healthz' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('swarmage gateway: drones connect with a WebSocket; GET /healthz for health\n');
      return;
    }
    const body = { ok: true, version: VERSION, connections: this.conns.size, wakeups: this.wakeupState(), error: null as string | null };
    try {
      await this.opts.queue.clock();
    } catch (err) {
      body.ok = false;
      body.error = reason(err);
    }
    res.writeHead(body.ok ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body) + '\n');
  }

  private wakeupState(): WakeupState {
    return this.wakeups?.state ?? 'down';
  }

  private attach(ws: WebSocket, grants: Caller['grants'], from: string): void {
    const log = this.opts.log;
    const conn: Connection = { ws, grants, postbacks: new Set(), inFlight: 0, from };
    this.conns.add(conn);
    log.info(`${grants.name} connected from ${from} (${this.conns.size} connection(s))`);
    ws.on('error', (err) => log.warn(`${grants.name} from ${from}: ${err.message}`));
    ws.on('close', (code) => {
      this.conns.delete(conn);
      log.info(`${conn.grants.name} from ${from} disconnected (${code}; ${this.conns.size} connection(s))`);
    });
    ws.on('message', (data, isBinary) => void this.received(conn, isBinary ? null : data.toString()));
    this.send(conn, { ev: 'welcome', grants, wakeups: this.wakeupState(), version: VERSION });
  }

  private async received(conn: Connection, text: string | null): Promise<void> {
    const frame = parseFrame(text);
    if (!frame) {
      conn.ws.close(1008, 'expected {"id", "m", "a"} JSON text frames');
      return;
    }
    const { id } = frame;
    if (conn.inFlight >= MAX_IN_FLIGHT) {
      this.send(conn, { id, e: { message: `gateway: more than ${MAX_IN_FLIGHT} calls in flight on one connection`, code: 'EBUSY' } });
      return;
    }
    conn.inFlight++;
    try {
      const r = await runCall(this.opts.queue, frame.m, frame.a, conn);
      this.send(conn, { id, r: r ?? null });
    } catch (err) {
      this.send(conn, { id, e: wireError(err) });
    } finally {
      conn.inFlight--;
    }
  }

  private notify(type: string): void {
    for (const c of this.conns) if (c.postbacks.has(type) || allowed(c.grants.claim, type)) this.send(c, { ev: 'notify', type });
  }

  private broadcast(frame: ServerFrame): void {
    for (const c of this.conns) this.send(c, frame);
  }

  private send(conn: Connection, frame: ServerFrame): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (conn.ws.bufferedAmount > MAX_BUFFERED) {
      this.opts.log.warn(`${conn.grants.name} from ${conn.from} reads too slowly (${conn.ws.bufferedAmount} bytes waiting): disconnected`);
      conn.ws.terminate();
      return;
    }
    conn.ws.send(encodeReply(frame), () => {});
  }

  /** A token removed (or replaced) from the file: its connections end now, not at their next connect. */
  private checkTokens(): void {
    if (!this.opts.tokens.refresh()) return;
    for (const c of this.conns) {
      const now = this.opts.tokens.current(c.grants.name);
      if (!now) {
        this.opts.log.info(`token ${c.grants.name} was removed: closing its connection from ${c.from}`);
        c.ws.close(CLOSE_REVOKED, 'token revoked');
      } else c.grants = grantsOf(now);
    }
  }

  async close(): Promise<void> {
    if (this.tokenTimer) clearInterval(this.tokenTimer);
    for (const c of this.conns) c.ws.close(CLOSE_SHUTDOWN, 'gateway shutting down');
    await this.wakeups?.stop();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      // Connections that do not finish their closing handshake promptly are cut.
      setTimeout(() => {
        for (const c of this.conns) c.ws.terminate();
        this.server?.closeAllConnections();
      }, 1000).unref();
    });
    this.wss?.close();
  }
}

function parseFrame(text: string | null): { id: number; m: string; a: unknown } | null {
  if (text === null) return null;
  let v: unknown;
  try {
    v = decode(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object') return null;
  const { id, m, a } = v as Record<string, unknown>;
  return typeof id === 'number' && Number.isSafeInteger(id) && typeof m === 'string' ? { id, m, a } : null;
}

function wireError(err: unknown): WireError {
  const e = (err ?? {}) as { code?: unknown; name?: unknown };
  return {
    message: reason(err),
    code: typeof e.code === 'string' ? e.code : undefined,
    name: typeof e.name === 'string' ? e.name : undefined,
  };
}
