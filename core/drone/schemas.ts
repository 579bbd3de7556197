import { Ajv, type ValidateFunction } from 'ajv';

// Ajv: the standard JSON Schema validator. Used when a trace is read, and on one claimed task per type and second.
const ajv = new Ajv({ allErrors: false, strict: false });
const compiled = new WeakMap<object, ValidateFunction | string>();

/**
 * Why `dataJson` does not match a type's payload schema, in one line; null when it matches (or
 * there is no schema). A schema Ajv cannot compile is reported as the problem.
 */
export function schemaProblem(schema: unknown, dataJson: string): string | null {
  if (schema === null || (typeof schema !== 'object' && typeof schema !== 'boolean')) return null;
  if (typeof schema === 'boolean') return schema ? null : 'the schema accepts nothing (false)';
  let validate = compiled.get(schema);
  if (validate === undefined) {
    try {
      validate = ajv.compile(schema);
    } catch (err) {
      validate = `the worker's schema is not a valid JSON Schema: ${(err as Error).message}`;
    }
    compiled.set(schema, validate);
  }
  if (typeof validate === 'string') return validate;
  let data: unknown;
  try {
    data = JSON.parse(dataJson);
  } catch {
    return 'the data is not JSON';
  }
  if (validate(data)) return null;
  const e = validate.errors?.[0];
  return e ? `${e.instancePath || '(the data)'} ${e.message ?? 'does not match'}` : 'does not match the schema';
}
