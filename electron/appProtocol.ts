/**
 * The window's page comes from a scheme of our own (swarmage://app/…) instead of file://. Under
 * file:// every local file shares one origin with the page, so a page that could navigate or fetch
 * would reach the whole disk; our scheme serves only the built renderer, gives the page an origin of
 * its own, and lets CSP's 'self' mean exactly that folder. Only type imports from 'electron': the
 * resolution is a pure function and the wiring is tested with fakes (test/electron/appProtocol.test.ts).
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CustomScheme } from 'electron';
import { SECURITY_HEADERS } from '../core/host/static.js';

export const APP_SCHEME = 'swarmage';
export const APP_HOST = 'app';
/** The one URL trusted to call the API and the only place the window may navigate to. */
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;
/** The renderer's build (vite, base './'): dist/ui/. Inside app.asar when packaged. */
export const RENDERER_DIR = fileURLToPath(new URL('../ui/', import.meta.url));

/**
 * Standard (relative URLs and an origin, as http has) and secure (a secure context, like https);
 * nothing else: no service workers, no CORS from other origins, no CSP bypass.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, bypassCSP: false, allowServiceWorkers: false, stream: true },
};

/**
 * The file a request for our scheme may read: on our host only, inside `rootDir` only (decoded and
 * normalised first, so "..", "%2e%2e" and "%2f" cannot climb out), no query; "/" is the index. null
 * means 404.
 */
export function resolveAppFile(url: unknown, rootDir: string = RENDERER_DIR): string | null {
  if (typeof url !== 'string' || url.length > 4096) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST || u.username || u.password || u.port) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  const root = path.resolve(rootDir);
  const file = path.resolve(root, '.' + path.posix.normalize('/' + (rel === '/' ? 'index.html' : rel)));
  return file.startsWith(root + path.sep) ? file : null;
}

/** The parts of Electron's protocol and net modules that serving the scheme needs. */
export interface ProtocolLike {
  handle(scheme: string, handler: (request: { url: string; method: string }) => Response | Promise<Response>): void;
}
export interface NetLike {
  fetch(url: string): Promise<Response>;
}

/**
 * Serves swarmage://app/ from the built renderer, with the headless host's security headers (its
 * CSP included), GET only. Call after app 'ready'; registerSchemesAsPrivileged must come before.
 */
export function serveAppProtocol(protocol: ProtocolLike, net: NetLike, rootDir: string = RENDERER_DIR): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
    const file = resolveAppFile(request.url, rootDir);
    if (!file) return new Response('not found', { status: 404 });
    let res: Response;
    try {
      res = await net.fetch(pathToFileURL(file).href);
    } catch {
      return new Response('not found', { status: 404 });
    }
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) headers.set(k, v);
    return new Response(res.body, { status: res.status, headers });
  });
}
