import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

/** Constant time in the token's content: a hash of each side has the same length whatever was sent. */
export function sameToken(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * The cookie's name carries the port: browsers send a host's cookies to every port of it, so two
 * drones on 127.0.0.1 would otherwise overwrite each other's login.
 */
export function cookieName(port: number): string {
  return `swarmage_${port}`;
}

export interface AccessPolicy {
  token: string;
  /** The cookie that carries the token for browsers. */
  cookie: string;
  /** Bound to loopback: the Host header must name a loopback address too (no DNS rebinding). */
  loopback: boolean;
}

function cookieToken(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return null;
    }
  }
  return null;
}

/** The credential a request carries: Authorization: Bearer (tools), else the login cookie (browsers). */
export function presentedToken(req: IncomingMessage, policy: AccessPolicy): string | null {
  const auth = req.headers.authorization;
  if (auth !== undefined) return /^Bearer (\S+)$/i.exec(auth)?.[1] ?? '';
  return cookieToken(req, policy.cookie);
}

/** On loopback, a request must name a loopback Host (DNS rebinding); null when it does. */
export function checkHost(req: IncomingMessage, policy: AccessPolicy): string | null {
  const host = (req.headers.host ?? '').toLowerCase();
  if (policy.loopback && !isLoopbackHost(host.replace(/:\d+$/, ''))) return `Host ${JSON.stringify(host.slice(0, 100))} is not a loopback address`;
  return null;
}

/**
 * Who may talk to the host: holders of the token only, loopback included (another local user can
 * reach a loopback port as easily as the owner). Browsers present it as the cookie the login set;
 * tools as a Bearer header. Never in a URL, where proxies and histories keep it — except on the
 * login itself, which server.ts handles before this. On loopback the Host header must be a loopback
 * name (a page on a rebound DNS name carries none of our cookies, but neither should it reach us);
 * a browser's WebSocket must come from our own page (Origin).
 * Returns why it is refused, or null.
 */
export function checkAccess(req: IncomingMessage, url: URL, policy: AccessPolicy, isSocket: boolean): string | null {
  const host = (req.headers.host ?? '').toLowerCase();
  const wrongHost = checkHost(req, policy);
  if (wrongHost) return wrongHost;
  if (isSocket) {
    if (url.searchParams.has('token'))
      return 'a token in the /api URL is not accepted (proxies and logs keep URLs); send the login cookie or Authorization: Bearer';
    const origin = req.headers.origin;
    // Non-browser clients send no Origin; browsers always do, and it must be this server.
    if (origin !== undefined) {
      let originHost: string;
      try {
        originHost = new URL(origin).host.toLowerCase();
      } catch {
        return `bad Origin ${JSON.stringify(origin.slice(0, 100))}`;
      }
      if (originHost !== host) return `Origin ${origin.slice(0, 100)} is not this server`;
    }
  }
  const given = presentedToken(req, policy);
  if (given === null) return 'no token (no login cookie, no Authorization: Bearer)';
  if (!sameToken(given, policy.token)) return 'wrong token';
  return null;
}
