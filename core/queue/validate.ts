import type { NewTask } from './types.js';
import { TASK_TYPE_MAX } from '../config/schema.js';
import { MAX_PAYLOAD_BYTES } from './limits.js';

export { MAX_PAYLOAD_BYTES };

export class TaskInputError extends Error {
  override name = 'TaskInputError';
}

/** Validates a task before it reaches the database; returns its data as JSON text. */
export function checkNewTask(t: NewTask, where = 'task'): string {
  checkTypeName(t?.type, `${where}.type`);
  if (t.type.startsWith('local:'))
    throw new TaskInputError(`${where}.type: "local:" only chains inside a drone; enqueue ${JSON.stringify(t.type.slice(6))} instead`);
  if (t.postback != null) checkTypeName(t.postback, `${where}.postback`);
  if (t.priority != null && !Number.isSafeInteger(t.priority)) throw new TaskInputError(`${where}.priority: expected an integer, got ${String(t.priority)}`);
  if (t.priority != null && (t.priority < -(2 ** 31) || t.priority > 2 ** 31 - 1)) throw new TaskInputError(`${where}.priority: out of range (${t.priority})`);
  if (t.maxAttempts != null && (!Number.isSafeInteger(t.maxAttempts) || t.maxAttempts < 1 || t.maxAttempts > 1000)) {
    throw new TaskInputError(`${where}.maxAttempts: expected an integer from 1 to 1000, got ${String(t.maxAttempts)}`);
  }
  if (t.runAt != null && !(t.runAt instanceof Date && !Number.isNaN(t.runAt.getTime()))) throw new TaskInputError(`${where}.runAt: expected a valid Date`);
  return toPayloadJson(t.data, `${where}.data`);
}

export function checkTypeName(type: unknown, where: string): asserts type is string {
  if (typeof type !== 'string' || type.length === 0) throw new TaskInputError(`${where}: expected a non-empty string, got ${describe(type)}`);
  if (type.length > TASK_TYPE_MAX) throw new TaskInputError(`${where}: ${type.length} characters; the limit is ${TASK_TYPE_MAX}`);
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(type)) throw new TaskInputError(`${where}: contains control characters: ${JSON.stringify(type)}`);
}

/** JSON text of a payload, or a TaskInputError saying why it cannot be one. */
export function toPayloadJson(value: unknown, where: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value === undefined ? null : value, (_k, v) => {
      if (typeof v === 'bigint') throw new TaskInputError(`${where}: a BigInt is not JSON (${v}n); send it as a string`);
      if (typeof v === 'function') throw new TaskInputError(`${where}: a function is not JSON`);
      if (typeof v === 'number' && !Number.isFinite(v)) throw new TaskInputError(`${where}: ${v} is not JSON`);
      return v;
    });
  } catch (err) {
    if (err instanceof TaskInputError) throw err;
    throw new TaskInputError(`${where}: not JSON-serialisable: ${(err as Error).message}`);
  }
  if (json === undefined) throw new TaskInputError(`${where}: not JSON-serialisable`);
  if (json.includes('\\u0000')) throw new TaskInputError(`${where}: Postgres jsonb cannot hold the NUL character (\\u0000)`);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_PAYLOAD_BYTES) throw new TaskInputError(`${where}: ${bytes} bytes of JSON; the limit is ${MAX_PAYLOAD_BYTES} (1 MiB)`);
  return json;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'an empty string';
  return typeof v;
}
