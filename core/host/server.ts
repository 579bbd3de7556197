import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventMessage, Request, Response } from '../api/contract.js';
import type { DroneService } from '../service/droneService.js';
import { checkAccess, isLoopbackHost, newToken, TOKEN_COOKIE, type AccessPolicy } from './auth.js';
import { serveStatic } from './static.js';

export const DEFAULT_UI_PORT = 7420;
/** The built renderer (vite: renderer/ → dist/ui). */
export const RENDERER_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));
const MAX_MESSAGE = 2 * 1024 * 1024;
/** A client this far behind gets no more snapshots until it catches up (logs still flow). */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024;

export interface HostOptions {
  host: string;
  port: number;
  /** Required off loopback; generated there when not given. */
  token?: string | null;
  staticDir?: string;
}

export interface RunningHost {
  url: string;
  /** The URL to open, with the token when there is one. */
  openUrl: string;
  token: string | null;
  close(): Promise<void>;
}

/** Parses "[HOST:]PORT" (HOST may be [v6]). */
export function parseListen(spec: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(spec.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 0 || port > 65535) throw new Error(`--ui: expected [HOST:]PORT such as 7420 or 0.0.0.0:7420, got ${JSON.stringify(spec)}`);
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port };
}

/**
 * The headless host: the built renderer over HTTP and the API contract over one WebSocket (/api).
 * A thin adapter: every call goes to service.dispatch, every event comes from the service.
 */
export async function startHost(service: DroneService, opts: HostOptions): Promise<RunningHost> {
  const loopback = isLoopbackHost(opts.host);
  const token = opts.token ?? (loopback ? null : newToken());
  const staticDir = opts.staticDir ?? RENDERER_DIR;
  const policy: AccessPolicy = { token };
  const log = service.log.child({ worker: 'ui' });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const denied = checkAccess(req, url, policy, false);
    if (denied) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Unauthorized: ${denied}. Open the URL that "swarmage drone --ui" printed (it carries ?token=).\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    // The token moves from the URL into a cookie the page's own requests (and its socket) carry.
    const extra: Record<string, string> = token && url.searchParams.has('token')
      ? { 'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` }
      : {};
    serveStatic(staticDir, url.pathname, res, extra);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname !== '/api') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const denied = checkAccess(req, url, policy, true);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A frame over maxPayload (or broken framing) closes the connection and emits 'error' on it;
      // unheard, that error would be thrown and take the whole drone down.
      ws.on('error', (err) => log.warn(`UI connection from ${req.socket.remoteAddress} closed: ${err.message}`));
      if (denied) {
        log.warn(`refused a UI connection from ${req.socket.remoteAddress}: ${denied}`);
        ws.close(4401, 'unauthorized');
        return;
      }
      attach(ws);
    });
  });

  function attach(ws: WebSocket): void {
    clients.add(ws);
    const send = (msg: Response | EventMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const onEvent = (msg: EventMessage) => {
      if (msg.event === 'snapshot' && ws.bufferedAmount > SLOW_CLIENT_BYTES) return;
      send(msg);
    };
    service.on('event', onEvent);
    ws.on('close', () => {
      clients.delete(ws);
      service.off('event', onEvent);
    });
    ws.on('message', async (raw, isBinary) => {
      let req: Request;
      try {
        if (isBinary) throw new Error('binary');
        req = JSON.parse(raw.toString());
        if (typeof req !== 'object' || req === null || !Number.isSafeInteger(req.id)) throw new Error('shape');
      } catch {
        ws.close(1003, 'expected {id, method, args} as JSON');
        return;
      }
      const out = await service.dispatch(req.method, req.args);
      send({ id: req.id, ...out } as Response);
    });
    send({ event: 'snapshot', data: service.snapshot() });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `--ui: ${opts.host}:${opts.port} is already in use; choose another port` : `--ui: cannot listen on ${opts.host}:${opts.port}: ${err.message}`)));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address() as { port: number };
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${shown}:${address.port}/`;
  log.info(`UI on ${url}${token ? ' (token required)' : ''}`);
  return {
    url,
    openUrl: token ? `${url}?token=${encodeURIComponent(token)}` : url,
    token,
    close: async () => {
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
