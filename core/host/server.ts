import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import type { ApiService } from '../api/service.js';
import type { Logger } from '../log/logger.js';
import { checkAccess, checkHost, cookieName, isLoopbackHost, newToken, sameToken, type AccessPolicy } from './auth.js';
import { attachConnection, DEFAULT_LIMITS, type ConnectionLimits } from './connection.js';
import { removeServerInfo, writeServerInfo } from './serverInfo.js';
import { SECURITY_HEADERS, serveStatic } from './static.js';

export const DEFAULT_UI_PORT = 7420;
/** The built renderer (vite: renderer/ → dist/ui). */
export const RENDERER_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));
const MAX_MESSAGE = 2 * 1024 * 1024;
export const MIN_TOKEN_LENGTH = 16;

export interface HostOptions {
  host: string;
  port: number;
  /** Generated per run when not given. */
  token?: string | null;
  /** PEM certificate chain and key: https and wss. Required off loopback. */
  tls?: { cert: string | Buffer; key: string | Buffer } | null;
  staticDir?: string;
  /**
   * The server-info file for `swarmage ui` (core/host/serverInfo.ts): the drone's config file, and
   * optionally another folder. false: none (tests that start many hosts in one process).
   */
  serverInfo?: { configFile?: string | null; dir?: string } | false;
  limits?: Partial<ConnectionLimits>;
}

export interface RunningHost {
  /** The UI's address, without the token. */
  url: string;
  /** The address to open once in a browser: it carries the token and trades it for the login cookie. */
  loginUrl: string;
  token: string;
  /** The server-info file written for this host, or null. */
  infoFile: string | null;
  close(): Promise<void>;
}

/** Parses "[HOST:]PORT" (HOST may be [v6]). */
export function parseListen(spec: string, option = '--ui'): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(spec.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 0 || port > 65535) throw new Error(`${option}: expected [HOST:]PORT such as 7420 or 0.0.0.0:7420, got ${JSON.stringify(spec)}`);
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port };
}

/** The request's path and query; null for a target URL cannot parse ("//", "//[::"), which would otherwise throw in the handler and end the process. */
function requestUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://local');
  } catch {
    return null;
  }
}

const HOW_TO_GET_IN =
  'This drone\'s UI needs its access token, on loopback too. Open the login URL that "swarmage drone --ui" ' +
  '(or "npm start") printed when it started (it ends in ?token=...), or run "swarmage ui" as the same user ' +
  'on this machine to list it. Tools send "Authorization: Bearer TOKEN".';

/** Server-info files still on disk, removed if the process exits without closing its host. */
const liveInfoFiles = new Set<string>();
let exitHook = false;

/**
 * The headless host: the built renderer over HTTP(S) and the API contract over one WebSocket (/api).
 * Every route needs the token (see auth.ts); each connection's calls go to service.dispatch within
 * the limits of connection.ts.
 */
export async function startHost(service: ApiService & { readonly log: Logger }, opts: HostOptions): Promise<RunningHost> {
  const loopback = isLoopbackHost(opts.host);
  if (!loopback && !opts.tls) {
    throw new Error(
      `--ui ${opts.host}: off loopback the UI is served over TLS only (the token would cross the network in clear): give --certfile FILE and --keyfile FILE, or bind to 127.0.0.1`,
    );
  }
  const token = opts.token ?? newToken();
  if (token.length < MIN_TOKEN_LENGTH || /[^\x21-\x7e]/.test(token)) {
    throw new Error(`UI token: expected at least ${MIN_TOKEN_LENGTH} printable characters without spaces, got ${token.length} characters`);
  }
  const staticDir = opts.staticDir ?? RENDERER_DIR;
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const log = service.log.child({ worker: 'ui' });
  // The cookie's name carries the port, known once listening.
  const policy: AccessPolicy = { token, cookie: '', loopback };
  const secure = opts.tls ? '; Secure' : '';

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = requestUrl(req);
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Bad request: not a URL path.\n');
      return;
    }
    const isPage = req.method === 'GET' || req.method === 'HEAD';
    // The login: the printed URL carries the token once; it becomes a cookie and leaves the address bar.
    const offered = isPage ? url.searchParams.get('token') : null;
    const denied =
      offered === null ? checkAccess(req, url, policy, false) : (checkHost(req, policy) ?? (sameToken(offered, token) ? null : 'wrong token in the login URL'));
    if (denied) {
      res.writeHead(401, {
        'Content-Type': 'text/plain; charset=utf-8',
        'WWW-Authenticate': 'Bearer realm="swarmage"',
        'Cache-Control': 'no-store',
        ...SECURITY_HEADERS,
      });
      res.end(`Unauthorized: ${denied}.\n\n${HOW_TO_GET_IN}\n`);
      return;
    }
    if (offered !== null) {
      url.searchParams.delete('token');
      const query = url.searchParams.toString();
      res.writeHead(303, {
        // Leading slashes collapsed: "//elsewhere" would be another site.
        Location: `/${url.pathname.replace(/^\/+/, '')}${query ? `?${query}` : ''}`,
        'Set-Cookie': `${policy.cookie}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/${secure}`,
        'Cache-Control': 'no-store',
        ...SECURITY_HEADERS,
      });
      res.end();
      return;
    }
    if (!isPage) {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    serveStatic(staticDir, url.pathname, res, {});
  };
  let server: http.Server;
  try {
    server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest);
  } catch (err) {
    throw new Error(`--certfile/--keyfile: not a usable PEM certificate and private key: ${(err as Error).message}`);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  wss.on('error', (err) => log.warn(`UI WebSocket server: ${err.message}`));
  const clients = new Set<{ terminate(): void }>();
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {}); // a peer that vanishes mid-handshake
    const url = requestUrl(req);
    if (url?.pathname !== '/api') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const denied = checkAccess(req, url, policy, true);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A frame over maxPayload (or broken framing) closes the connection and emits 'error' on it;
      // unheard, that error would be thrown and take the whole drone down.
      ws.on('error', (err) => log.warn(`UI connection from ${req.socket.remoteAddress} closed: ${err.message}`));
      if (denied) {
        // Upgraded only to say why in a way a page can read (a failed handshake shows it nothing):
        // 4401 makes the UI show how to log in. Nothing of the drone is sent or run.
        log.warn(`refused a UI connection from ${req.socket.remoteAddress}: ${denied}`);
        ws.close(4401, 'unauthorized');
        return;
      }
      const conn = attachConnection(ws, service, log, limits, req.socket.remoteAddress ?? '?');
      clients.add(conn);
      ws.on('close', () => clients.delete(conn));
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `--ui: ${opts.host}:${opts.port} is already in use; choose another port`
            : `--ui: cannot listen on ${opts.host}:${opts.port}: ${err.message}`,
        ),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('error', (err) => log.error(`UI server: ${err.message}`));
  const address = server.address() as { port: number };
  policy.cookie = cookieName(address.port);
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `${opts.tls ? 'https' : 'http'}://${shown}:${address.port}/`;
  const loginUrl = `${url}?token=${encodeURIComponent(token)}`;
  log.info(`UI on ${url} (token required)`);

  let infoFile: string | null = null;
  if (opts.serverInfo !== false) {
    try {
      infoFile = writeServerInfo(
        {
          pid: process.pid,
          url,
          loginUrl,
          token,
          configFile: opts.serverInfo?.configFile ?? null,
          started: new Date().toISOString(),
        },
        address.port,
        opts.serverInfo?.dir,
      );
      liveInfoFiles.add(infoFile);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => {
          for (const f of liveInfoFiles) removeServerInfo(f);
        });
      }
    } catch (err) {
      await new Promise<void>((r) => server.close(() => r()));
      throw new Error(`UI server file: ${(err as Error).message}`);
    }
  }

  return {
    url,
    loginUrl,
    token,
    infoFile,
    close: async () => {
      if (infoFile) {
        removeServerInfo(infoFile);
        liveInfoFiles.delete(infoFile);
      }
      for (const c of clients) c.terminate();
      wss.close();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
