/**
 * A connection string fit for a log line, the snapshot or `swarmage status`: rebuilt from the host,
 * port and database alone, so that nothing else can slip through — not the user info, and not a
 * query parameter (`?password=`, `?sslkey=`, `?options=` may all carry secrets). A socket folder
 * (`?host=/dir`) stays visible: it says where the server is, and is no secret.
 */
export function redactUrl(url: string): string {
  const parts = urlParts(url) ?? keywordParts(url);
  if (!parts) return '(a connection string that could not be parsed; not shown)';
  const db = parts.database ? `/${encodeURIComponent(parts.database)}` : '/';
  if (parts.host?.startsWith('/')) return `postgres://${db}?host=${parts.host}${parts.port ? `&port=${parts.port}` : ''}`;
  return `postgres://${parts.host ?? ''}${parts.port ? `:${parts.port}` : ''}${db}`;
}

interface Parts {
  host?: string;
  port?: string;
  database?: string;
}

/**
 * What a host list, a socket folder or a port may look like; anything else (part of a password that
 * a malformed string let through) is not shown.
 */
// eslint-disable-next-line no-control-regex -- a socket directory has no control characters
const HOSTS = /^[A-Za-z0-9._~\-[\]:,%]*$|^\/[^\u0000-\u001f]*$/;
const PORT = /^[0-9,]*$/;

function checked(p: Parts): Parts | null {
  if (p.host !== undefined && !HOSTS.test(p.host)) return null;
  if (p.port !== undefined && !PORT.test(p.port)) return null;
  return p;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * postgres://[user[:password]@][host][:port][/database][?param=value&…], as node-postgres reads it: the
 * host and port may also come as query parameters, which win. The authority ends at the last "@"
 * before the path, so a password holding "/" or "@" is never mistaken for the host.
 */
function urlParts(url: string): Parts | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(.*)$/is.exec(url.trim());
  if (!m) return null;
  let rest = m[1];
  const q = rest.indexOf('?');
  const beforeQuery = q >= 0 ? rest.slice(0, q) : rest;
  const query = new URLSearchParams(q >= 0 ? rest.slice(q + 1).split('#')[0] : '');
  const at = beforeQuery.lastIndexOf('@');
  if (at >= 0) rest = rest.slice(at + 1);
  const end = rest.search(/[/?#]/);
  const authority = end >= 0 ? rest.slice(0, end) : rest;
  const pathPart = end >= 0 && rest[end] === '/' ? rest.slice(end + 1).split(/[?#]/)[0] : '';
  // A list of hosts (h1:5432,h2:5433) is shown as it is.
  const hostPort = authority.includes(',') ? null : /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(authority);
  const parts: Parts = {
    host: query.get('host') ?? (hostPort ? decode(hostPort[1]) || undefined : authority || undefined),
    port: query.get('port') ?? (hostPort?.[2] || undefined),
    database: query.get('dbname') ?? (pathPart ? decode(pathPart) : undefined),
  };
  return checked(parts);
}

/** The libpq keyword form, "host=… port=… dbname=… password=…", and pg's "/socket/dir database". */
function keywordParts(s: string): Parts | null {
  const t = s.trim();
  if (t.startsWith('/')) {
    const [host, database] = t.split(' ');
    return checked({ host, database });
  }
  if (!/^\w+\s*=/.test(t)) return null;
  const parts: Parts = {};
  for (const m of t.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/g)) {
    const value = m[2].startsWith("'") ? m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2];
    if (m[1] === 'host' || m[1] === 'hostaddr') parts.host ??= value;
    else if (m[1] === 'port') parts.port = value;
    else if (m[1] === 'dbname') parts.database = value;
  }
  return checked(parts);
}

/** A short reason from a thrown value, for one log line. */
export function reason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return reason(err.errors[0]);
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}
