/**
 * What a drone and a gateway say to each other over their one WebSocket. The drone calls GlobalQueue
 * methods by name and the gateway answers each; the gateway pushes wake-ups. Frames are JSON; a
 * Date travels as `{"$date": ms}` (the queue's only non-JSON value besides reclaim's Set, which
 * travels as an array).
 */
import type { WakeupState } from '../globalQueue.js';

/** Methods a drone or a client may call: what every token may do, within its types. */
export const DRONE_METHODS = [
  'migrate',
  'enqueue',
  'claim',
  'complete',
  'fail',
  'release',
  'releaseAllExcept',
  'reclaim',
  'heartbeat',
  'rescueExpired',
  'deregister',
  'clock',
  'takePostbacks',
  'progress',
] as const;

/** The operator's views and actions on the whole queue: only for tokens with `inspect`. */
export const INSPECT_METHODS = [
  'overview',
  'countType',
  'fleet',
  'failureGroups',
  'listFailed',
  'retryFailed',
  'deleteFailed',
  'findTask',
  'postbacksOf',
  'browse',
  'cancel',
  'runNow',
] as const;

export type DroneMethod = (typeof DRONE_METHODS)[number];
export type InspectMethod = (typeof INSPECT_METHODS)[number];
export type RemoteMethod = DroneMethod | InspectMethod;

/** What a token may do, as the gateway tells the drone when it connects. */
export interface Grants {
  /** The token's name: the gateway files this token's drones under "<name>/<drone id>". */
  name: string;
  /** Types it may claim (and serve): names, `*` matching any run of characters. */
  claim: string[];
  enqueue: string[];
  inspect: boolean;
}

export type ClientFrame = { id: number; m: RemoteMethod; a: unknown[] };

export type ServerFrame =
  | { id: number; r: unknown }
  | { id: number; e: WireError }
  /** First frame on every connection: who the token is, and whether wake-ups reach the gateway. */
  | { ev: 'welcome'; grants: Grants; wakeups: WakeupState; version: string }
  | { ev: 'notify'; type: string }
  | { ev: 'wakeups'; state: WakeupState }
  /** The gateway's own listener (re)connected: wake-ups sent meanwhile were missed. */
  | { ev: 'relisten' };

export interface WireError {
  message: string;
  /** Postgres's SQLSTATE or Node's error code (ECONNREFUSED…), so that the drone tells an outage from a refusal. */
  code?: string;
  /** TaskInputError, for one: the drone rethrows it as what it was. */
  name?: string;
}

/** One frame: a claim's answer of thousands of tasks with their payloads (each at most 1 MiB) fits. */
export const MAX_FRAME = 256 * 1024 * 1024;

/** Close codes of the gateway's own (4000–4999 are the application's). */
export const CLOSE_REVOKED = 4001;
export const CLOSE_SHUTDOWN = 4002;

const DATE = '$date';

/** A call, with its Dates as `{"$date": ms}` (heartbeats, scheduled tasks and filters carry them). */
export function encodeCall(frame: ClientFrame): string {
  return JSON.stringify(frame, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { [DATE]: raw.getTime() } : value;
  });
}

/** The gateway's frames: the queue's answers hold no Dates (times are ms), so plain JSON, the fast path for claims. */
export function encodeReply(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

export function decode(text: string): unknown {
  // The reviver runs for every value: only when a Date may be there.
  if (!text.includes(`"${DATE}"`)) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      if (typeof o[DATE] === 'number' && Object.keys(o).length === 1) return new Date(o[DATE]);
    }
    return value;
  });
}

/** Does `type` match one of `patterns` (`*` is any run of characters)? */
export function allowed(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => (p.includes('*') ? globRegExp(p).test(type) : p === type));
}

const globs = new Map<string, RegExp>();
function globRegExp(pattern: string): RegExp {
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      's',
    );
    globs.set(pattern, re);
  }
  return re;
}
