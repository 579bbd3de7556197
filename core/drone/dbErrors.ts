import { reason } from '../util/redact.js';

/**
 * What a failed database call says about the database, which decides what the drone logs and the
 * snapshot shows: an address nobody answers at is a different problem, with a different fix, from a
 * statement Postgres refused or an answer too slow to wait for.
 */
export type DatabaseFailure =
  | { kind: 'unreachable'; message: string }
  /** `ms`: the wait that ran out, when the error says. */
  | { kind: 'timeout'; message: string; ms: number | null }
  /** The database answered, with an error: `sqlstate` is Postgres's code (null for an error of the client's own). */
  | { kind: 'error'; message: string; sqlstate: string | null };

/** The drone gave up waiting for an answer (the heartbeat's watchdog): the connection may hang forever. */
export class NoAnswerError extends Error {
  constructor(readonly ms: number) {
    super(`no answer from the database within ${ms} ms`);
    this.name = 'NoAnswerError';
  }
}

// node-postgres's own deadlines (query_timeout, connectionTimeoutMillis in the client and the pool).
const CLIENT_TIMEOUT = /Query read timeout|timeout exceeded when trying to connect|Connection terminated due to connection timeout|^timeout expired$/i;
// ENOENT: a Unix socket (the embedded server's) that is gone while its server is down.
const NETWORK_CODE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN|ENOENT)$/;
// Class 08 (connection exception) and 57P0x (the server shutting down or not accepting connections).
const CONNECTION_SQLSTATE = /^(08|57P0)/;
const CONNECTION_MESSAGE =
  /Connection terminated|connection timeout|the database system is (starting up|shutting down)|Client has encountered a connection error/i;

export function classifyDatabaseError(err: unknown): DatabaseFailure {
  // A connect that tried several addresses (IPv6 and IPv4 for "localhost") fails with each one's error.
  if (err instanceof AggregateError && err.errors.length > 0 && !(err as { code?: unknown }).code) return classifyDatabaseError(err.errors[0]);
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : null;
  const text = typeof e.message === 'string' ? e.message : '';
  const message = reason(err);
  if (err instanceof NoAnswerError) return { kind: 'timeout', message, ms: err.ms };
  // 57014 is any cancelled statement; only statement_timeout's is the database being too slow.
  if ((code === '57014' && /statement timeout/i.test(text)) || CLIENT_TIMEOUT.test(text)) return { kind: 'timeout', message, ms: null };
  if ((code !== null && (NETWORK_CODE.test(code) || CONNECTION_SQLSTATE.test(code))) || CONNECTION_MESSAGE.test(text)) {
    return { kind: 'unreachable', message };
  }
  return { kind: 'error', message, sqlstate: code !== null && /^[0-9A-Z]{5}$/.test(code) ? code : null };
}

/** Errors that mean "the database is not there right now", as opposed to a bug or bad SQL. */
export function isConnectionError(err: unknown): boolean {
  return classifyDatabaseError(err).kind === 'unreachable';
}

/** Errors that say nothing about the statement: the same call may well work later, unchanged. */
export function isTransient(err: unknown): boolean {
  return classifyDatabaseError(err).kind !== 'error';
}
