import type { ApiError, Handlers, MethodName } from './contract.js';
import { methods } from './contract.js';
import { formatPath } from '../config/errors.js';

export type Outcome = { ok: true; result: unknown } | { ok: false; error: ApiError };
/** `profile`: which drone a drone method goes to, where a host operates several (core/app/profileManager.ts). */
export type Dispatch = (method: unknown, args: unknown, profile?: unknown) => Promise<Outcome>;

export const isMethod = (m: unknown): m is MethodName => typeof m === 'string' && Object.prototype.hasOwnProperty.call(methods, m);

export function unknownMethod(method: unknown): Outcome {
  return {
    ok: false,
    error: { code: 'unknown_method', message: `unknown method ${JSON.stringify(typeof method === 'string' ? method.slice(0, 100) : method)}` },
  };
}

/** The arguments as the contract reads them (defaults filled in), or the invalid_args error naming each field. */
export function checkArgs(method: MethodName, args: unknown): Outcome {
  const parsed = methods[method].args.safeParse(args ?? {});
  if (parsed.success) return { ok: true, result: parsed.data };
  const issues = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  return {
    ok: false,
    error: { code: 'invalid_args', message: `${method}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues },
  };
}

/**
 * The single entry for every host: checks the method name and its arguments against the contract,
 * then calls the handler. Bad input becomes an error naming the field; it never reaches the drone.
 */
export function createDispatcher<K extends MethodName>(handlers: Pick<Handlers, K>, onError?: (method: string, err: unknown) => void): Dispatch {
  return async (method, args) => {
    if (!isMethod(method) || !Object.prototype.hasOwnProperty.call(handlers, method)) return unknownMethod(method);
    const parsed = checkArgs(method, args);
    if (!parsed.ok) return parsed;
    try {
      const handler = handlers[method as K] as (a: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(parsed.result) };
    } catch (err) {
      onError?.(method, err);
      return { ok: false, error: { code: 'failed', message: err instanceof Error ? err.message : String(err) } };
    }
  };
}
