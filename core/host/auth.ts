import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'swarmage_token';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

/** The token a request carries: ?token=, Authorization: Bearer, or the cookie set on first visit. */
export function presentedToken(req: IncomingMessage, url: URL): string | null {
  const q = url.searchParams.get('token');
  if (q) return q;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return cookieToken(req);
}

export interface AccessPolicy {
  /** When set, every request must carry it. */
  token: string | null;
}

/**
 * Who may talk to the host. With a token: only holders of it. Without (loopback only): requests
 * must name a loopback Host (no DNS rebinding) and, for the WebSocket, come from our own page
 * (Origin), so another site open in the same browser cannot drive the drone.
 */
export function checkAccess(req: IncomingMessage, url: URL, policy: AccessPolicy, isSocket: boolean): string | null {
  const host = (req.headers.host ?? '').toLowerCase();
  if (policy.token === null) {
    const hostname = host.replace(/:\d+$/, '');
    if (!isLoopbackHost(hostname)) return `Host ${JSON.stringify(host)} is not a loopback address`;
  } else {
    const given = presentedToken(req, url);
    if (!given || !safeEqual(given, policy.token)) return 'missing or wrong token';
  }
  if (isSocket) {
    const origin = req.headers.origin;
    // Non-browser clients send no Origin; browsers always do, and it must be this server.
    if (origin !== undefined) {
      let originHost: string;
      try {
        originHost = new URL(origin).host.toLowerCase();
      } catch {
        return `bad Origin ${JSON.stringify(origin)}`;
      }
      if (originHost !== host) return `Origin ${origin} is not this server`;
    }
  }
  return null;
}
