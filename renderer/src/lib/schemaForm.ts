/**
 * A form generated from a task type's JSON Schema. The form has no state of its own: it reads and
 * writes the same JSON text as the raw editor, so both always produce the same data.
 */

export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'object' | 'json';

export interface Field {
  /** Property names from the data's root; [] is the data itself. */
  path: string[];
  label: string;
  kind: FieldKind;
  required: boolean;
  description: string | null;
  default: unknown;
  enumValues: unknown[];
  /** For objects: their properties, in schema order. */
  children: Field[];
}

type Schema = Record<string, unknown>;

function isObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(schema: Schema): string | null {
  const t = schema.type;
  if (typeof t === 'string') return t;
  // ["integer", "null"]: the non-null one.
  if (Array.isArray(t)) return (t.find((x) => x !== 'null') as string | undefined) ?? null;
  if (isObject(schema.properties)) return 'object';
  return null;
}

function kindOf(schema: Schema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'enum';
  const t = typeOf(schema);
  if (t === 'string' || t === 'number' || t === 'integer' || t === 'boolean') return t;
  if (t === 'object' && isObject(schema.properties)) return 'object';
  return 'json';
}

/** The field tree of a schema; null when it is not a schema we can make a form of. */
export function fieldsOf(schema: unknown): Field | null {
  if (!isObject(schema)) return null;
  return field(schema, [], typeof schema.title === 'string' ? schema.title : 'data', true);
}

function field(schema: Schema, path: string[], label: string, required: boolean): Field {
  const kind = kindOf(schema);
  const children: Field[] = [];
  if (kind === 'object') {
    const req = new Set(Array.isArray(schema.required) ? (schema.required as unknown[]).filter((x): x is string => typeof x === 'string') : []);
    for (const [name, sub] of Object.entries(schema.properties as Schema)) {
      children.push(
        field(isObject(sub) ? sub : {}, [...path, name], typeof (sub as Schema)?.title === 'string' ? ((sub as Schema).title as string) : name, req.has(name)),
      );
    }
  }
  return {
    path,
    label,
    kind,
    required,
    description: typeof schema.description === 'string' ? schema.description : null,
    default: schema.default,
    enumValues: kind === 'enum' ? (schema.enum as unknown[]) : [],
    children,
  };
}

/** The data a fresh form starts with: defaults, and required objects with their own defaults. */
export function defaultsOf(f: Field): unknown {
  if (f.default !== undefined) return f.default;
  if (f.kind === 'object') {
    const out: Record<string, unknown> = {};
    for (const c of f.children) {
      const v = defaultsOf(c);
      if (v !== undefined && (c.required || c.default !== undefined || c.kind === 'object')) out[c.path[c.path.length - 1]] = v;
    }
    return out;
  }
  if (f.kind === 'boolean' && f.required) return false;
  return undefined;
}

export function getAt(data: unknown, path: readonly string[]): unknown {
  let cur = data;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** A copy of data with value at path (undefined removes it); missing objects on the way are made. */
export function setAt(data: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const base: Schema = isObject(data) ? { ...data } : {};
  const next = setAt(base[head], rest, value);
  if (next === undefined) delete base[head];
  else base[head] = next;
  return base;
}

/**
 * A number field's text as data: empty removes the value; a number becomes one; anything else is
 * kept as text, so the problem stays visible (and the task would be flagged) instead of vanishing.
 */
export function numberFromText(text: string, integer: boolean): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return text;
  return n;
}

/** Required fields without a value, by their dotted path ("data" for the root). */
export function missingRequired(f: Field, data: unknown): string[] {
  const out: string[] = [];
  const walk = (x: Field) => {
    const v = getAt(data, x.path);
    if (x.required && x.path.length > 0 && (v === undefined || v === '')) {
      out.push(x.path.join('.'));
      return;
    }
    if (x.kind === 'object' && (v !== undefined || x.required)) for (const c of x.children) walk(c);
  };
  walk(f);
  return out;
}

/** The label of an enum option: strings as they are, anything else as JSON. */
export function enumLabel(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
