/**
 * Completion and hover docs for a JSON text from its JSON Schema: what may go at the cursor.
 * Pure (text, offset and schema in, candidates out) so it is tested without an editor; the
 * editor only turns the answers into CodeMirror completions and tooltips.
 *
 * It reads the subset of draft 2020-12 that our schemas use (zod's output for the config, and the
 * payload schemas workers export): properties, additionalProperties, patternProperties, items,
 * prefixItems, local $ref, allOf/anyOf/oneOf, enum, const, type, default, description and title.
 */
import { findNodeAtLocation, getLocation, parseTree, type JSONPath, type Node } from 'jsonc-parser';

type Schema = Record<string, unknown>;
type Segment = string | number;

export interface Candidate {
  /** The text the typed prefix is matched against: the key or value as JSON (quoted). */
  label: string;
  /** What the list shows: a key without its quotes. */
  display: string;
  kind: 'property' | 'value';
  /** The type (and default) in short. */
  detail: string;
  /** The schema's description. */
  info: string;
  /** What replaces the range from..to. */
  apply: string;
}

export interface Completions {
  from: number;
  to: number;
  /** Whether anything was typed at the cursor (a word or an opening quote). */
  typed: boolean;
  candidates: Candidate[];
}

export interface Hover {
  from: number;
  to: number;
  /** The key (or, over a value, the key it belongs to); '' at the top level. */
  name: string;
  detail: string;
  info: string;
}

/** Bounds $ref and combinator nesting: a schema that refers to itself would loop forever. */
const MAX_DEPTH = 16;

function isSchema(x: unknown): x is Schema {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function deref(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let at: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    at = isSchema(at) ? at[key] : Array.isArray(at) ? at[Number(key)] : undefined;
  }
  return at;
}

/** A schema and the alternatives it stands for: references followed, allOf/anyOf/oneOf opened. */
function expand(root: unknown, s: unknown, depth = 0): Schema[] {
  if (!isSchema(s) || depth > MAX_DEPTH) return [];
  const out = [s];
  if (typeof s.$ref === 'string') out.push(...expand(root, deref(root, s.$ref), depth + 1));
  for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[k])) for (const sub of s[k] as unknown[]) out.push(...expand(root, sub, depth + 1));
  return out;
}

function patternMatches(pattern: string, key: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(key);
  } catch {
    return false;
  }
}

function childOf(s: Schema, seg: Segment): unknown[] {
  if (typeof seg === 'number') {
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : [];
    return seg < prefix.length ? [prefix[seg]] : s.items !== undefined ? [s.items] : [];
  }
  if (isSchema(s.properties) && seg in s.properties) return [s.properties[seg]];
  const out: unknown[] = [];
  if (isSchema(s.patternProperties)) for (const [p, sub] of Object.entries(s.patternProperties)) if (patternMatches(p, seg)) out.push(sub);
  if (out.length === 0 && isSchema(s.additionalProperties)) out.push(s.additionalProperties);
  return out;
}

/** Every schema that applies to the value at `path` (several when the schema offers alternatives). */
export function schemasAt(root: unknown, path: readonly Segment[]): Schema[] {
  let at = expand(root, root);
  for (const seg of path) at = at.flatMap((s) => childOf(s, seg)).flatMap((s) => expand(root, s));
  return [...new Set(at)];
}

function typesOf(list: readonly Schema[]): string[] {
  const out = new Set<string>();
  for (const s of list) {
    // Listed values say more than their type (zod writes both).
    if (Array.isArray(s.enum)) for (const v of s.enum) out.add(JSON.stringify(v));
    else if ('const' in s) out.add(JSON.stringify(s.const));
    else if (typeof s.type === 'string') out.add(s.type);
    else if (Array.isArray(s.type)) for (const t of s.type) out.add(String(t));
  }
  return [...out];
}

function firstOf(list: readonly Schema[], key: string): unknown {
  return list.find((s) => s[key] !== undefined)?.[key];
}

/** "integer, default 15": what a value must be, in short. */
function summary(list: readonly Schema[]): string {
  const types = typesOf(list).join(' | ');
  const def = firstOf(list, 'default');
  return def === undefined ? types : `${types}${types ? ', ' : ''}default ${JSON.stringify(def)}`;
}

function docOf(list: readonly Schema[]): string {
  const d = firstOf(list, 'description') ?? firstOf(list, 'title');
  return typeof d === 'string' ? d : '';
}

/** Keys the schema allows in the object at `path`, but for those already there. */
export function keyCandidates(root: unknown, path: readonly Segment[], present: ReadonlySet<string>, colonFollows: boolean): Candidate[] {
  const seen = new Map<string, Candidate>();
  for (const s of schemasAt(root, path)) {
    if (!isSchema(s.properties)) continue;
    for (const key of Object.keys(s.properties)) {
      if (present.has(key) || seen.has(key)) continue;
      const sub = expand(root, s.properties[key]);
      const label = JSON.stringify(key);
      seen.set(key, { label, display: key, kind: 'property', detail: summary(sub), info: docOf(sub), apply: colonFollows ? label : `${label}: ` });
    }
  }
  return [...seen.values()];
}

/** Values the schema spells out for `path`: its enum and const values, booleans, null, the default. */
export function valueCandidates(root: unknown, path: readonly Segment[]): Candidate[] {
  const list = schemasAt(root, path);
  const values: unknown[] = [];
  for (const s of list) {
    if (Array.isArray(s.enum)) values.push(...(s.enum as unknown[]));
    if ('const' in s) values.push(s.const);
  }
  const types = typesOf(list);
  if (types.includes('boolean')) values.push(true, false);
  if (types.includes('null')) values.push(null);
  const def = firstOf(list, 'default');
  if (def !== undefined && (def === null || typeof def !== 'object')) values.push(def);
  const info = docOf(list);
  const out = new Map<string, Candidate>();
  for (const v of values) {
    const label = JSON.stringify(v);
    if (!out.has(label)) out.set(label, { label, display: label, kind: 'value', detail: v === def ? 'default' : typeof v, info, apply: label });
  }
  return [...out.values()];
}

/** Characters of a key or value being typed (bare words too: `tru`, `maxP`). */
const WORD = /[\w$.+-]/;

/** The range a completion replaces: the string or word around the cursor, with its quotes. */
function wordAround(text: string, offset: number, node: Node | undefined): { from: number; to: number } {
  if (node && (node.type === 'string' || node.type === 'property') && offset > node.offset && offset <= node.offset + node.length)
    return { from: node.offset, to: node.offset + node.length };
  let from = offset;
  while (from > 0 && WORD.test(text[from - 1])) from--;
  let to = offset;
  while (to < text.length && WORD.test(text[to])) to++;
  if (from > 0 && text[from - 1] === '"') {
    from--;
    if (text[to] === '"') to++;
  }
  return { from, to };
}

/** The keys of the object at `path`, leaving out the one being typed at the cursor. */
function presentKeys(text: string, path: JSONPath, offset: number): Set<string> {
  const tree = parseTree(text, undefined, { allowTrailingComma: true });
  const obj = tree && findNodeAtLocation(tree, path);
  const keys = new Set<string>();
  for (const prop of obj?.type === 'object' ? (obj.children ?? []) : []) {
    const key = prop.children?.[0];
    if (key && typeof key.value === 'string' && !(offset >= key.offset && offset <= key.offset + key.length)) keys.add(key.value);
  }
  return keys;
}

/** What may be typed at `offset` of `text`: keys inside an object, values after a colon or in an array. */
export function completionsAt(root: unknown, text: string, offset: number): Completions {
  const loc = getLocation(text, offset);
  const { from, to } = wordAround(text, offset, loc.previousNode);
  const typed = from < offset;
  if (loc.isAtPropertyKey) {
    const objectPath = loc.path.slice(0, -1);
    const colonFollows = /^\s*:/.test(text.slice(to));
    return { from, to, typed, candidates: keyCandidates(root, objectPath, presentKeys(text, objectPath, offset), colonFollows) };
  }
  return { from, to, typed, candidates: valueCandidates(root, loc.path) };
}

/** The docs of the key or value under `offset`, or null over punctuation, space or what the schema does not describe. */
export function hoverAt(root: unknown, text: string, offset: number): Hover | null {
  const loc = getLocation(text, offset);
  const node = loc.previousNode;
  if (!node || offset < node.offset || offset > node.offset + node.length) return null;
  const list = schemasAt(root, loc.path);
  const detail = summary(list);
  const info = docOf(list);
  if (!detail && !info) return null;
  const name = loc.path.length > 0 ? String(loc.path[loc.path.length - 1]) : '';
  return { from: node.offset, to: node.offset + node.length, name, detail, info };
}
