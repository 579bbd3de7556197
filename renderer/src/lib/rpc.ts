/**
 * The request/response bookkeeping of the wire protocol (contract.ts), with no transport attached:
 * a socket, a fake in a test, or anything else that moves strings can drive it.
 */
import type { ApiError, EventMessage, EventName, Response } from '../../../core/api/contract.js';
import { EVENT_NAMES } from '../../../core/api/contract.js';

export type Outcome = { ok: true; result: unknown } | { ok: false; error: ApiError };

/** What `call` throws: the ApiError's message, with its code and (for invalid_args) the field issues. */
export class ApiCallError extends Error {
  readonly code: ApiError['code'] | 'disconnected';
  readonly issues: ApiError['issues'];

  constructor(error: ApiError | { code: 'disconnected'; message: string; issues?: undefined }) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.issues = error.issues;
  }
}

export function unwrap(outcome: Outcome): unknown {
  if (outcome.ok) return outcome.result;
  throw new ApiCallError(outcome.error);
}

export function disconnectedError(message = 'not connected to the drone'): ApiCallError {
  return new ApiCallError({ code: 'disconnected', message });
}

interface Pending {
  resolve: (o: Outcome) => void;
  reject: (err: Error) => void;
}

/** Numbers requests and matches answers to them; everything still open can be failed at once (on close). */
export class RequestTable {
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  open(method: string, args: unknown, profile?: string): { message: string; promise: Promise<Outcome> } {
    const id = this.next++;
    const promise = new Promise<Outcome>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    return { message: JSON.stringify({ id, method, args, profile }), promise };
  }

  /** Returns false for an answer to nothing we asked (late, or after a reconnect). */
  settle(response: Response): boolean {
    const p = this.pending.get(response.id);
    if (!p) return false;
    this.pending.delete(response.id);
    p.resolve(response.ok ? { ok: true, result: response.result } : { ok: false, error: response.error });
    return true;
  }

  failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  get size(): number {
    return this.pending.size;
  }
}

export type Incoming = { kind: 'response'; response: Response } | { kind: 'event'; event: EventMessage } | { kind: 'invalid'; reason: string };

const EVENTS: ReadonlySet<string> = new Set<EventName>(EVENT_NAMES);

/** Classifies one frame from the server; a frame we do not understand is reported, not thrown. */
export function parseIncoming(text: string): Incoming {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (typeof msg !== 'object' || msg === null) return { kind: 'invalid', reason: 'not an object' };
  const m = msg as Record<string, unknown>;
  if (typeof m.id === 'number' && typeof m.ok === 'boolean') {
    if (!m.ok && (typeof m.error !== 'object' || m.error === null)) return { kind: 'invalid', reason: 'error response without error' };
    return { kind: 'response', response: m as unknown as Response };
  }
  if (typeof m.event === 'string') {
    if (!EVENTS.has(m.event)) return { kind: 'invalid', reason: `unknown event ${m.event}` };
    if (m.profile !== undefined && typeof m.profile !== 'string') return { kind: 'invalid', reason: 'an event whose profile is not a string' };
    return { kind: 'event', event: { event: m.event as EventName, data: m.data, ...(m.profile === undefined ? {} : { profile: m.profile }) } };
  }
  return { kind: 'invalid', reason: 'neither a response nor an event' };
}
