/**
 * Named payloads with their options, per drone (its config file) and task type, kept in
 * localStorage like recent payloads. Storage is read defensively: anything malformed is dropped
 * with a console warning, never a crash.
 */
import type { KeyValueStore } from './recentPayloads.js';
import type { DelayUnit } from './schedule.js';

export interface TemplateOptions {
  count: string;
  priority: string;
  maxAttempts: string;
  postback: string;
  /** The delay in `delayUnit`s; empty: no delay. */
  delay: string;
  delayUnit: DelayUnit;
}

export interface Template {
  name: string;
  text: string;
  options: TemplateOptions;
  savedAt: number;
}

/** Scope (templateScope) → templates, most recently saved first. */
export type Templates = Record<string, Template[]>;
export type Change = { ok: true; all: Templates } | { ok: false; message: string };

export const TEMPLATES_KEY = 'swarmage.templates.v1';
export const MAX_PER_SCOPE = 50;
export const MAX_NAME = 80;
/** localStorage holds ~5 MB per origin, shared with everything else the UI keeps. */
export const MAX_TEXT_CHARS = 64 * 1024;
const MAX_SCOPES = 200;
const OPTION_KEYS = ['count', 'priority', 'maxAttempts', 'postback', 'delay'] as const;

/** Two drones (config files) never share templates, nor two types. */
export function templateScope(configFile: string | null, type: string): string {
  return JSON.stringify([configFile ?? '', type]);
}

function isTemplate(v: unknown): v is Template {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  const o = t.options as Record<string, unknown> | null;
  return (
    typeof t.name === 'string' &&
    t.name.length > 0 &&
    t.name.length <= MAX_NAME &&
    typeof t.text === 'string' &&
    t.text.length <= MAX_TEXT_CHARS &&
    typeof t.savedAt === 'number' &&
    typeof o === 'object' &&
    o !== null &&
    OPTION_KEYS.every((k) => typeof o[k] === 'string') &&
    (o.delayUnit === 's' || o.delayUnit === 'm' || o.delayUnit === 'h')
  );
}

export function loadTemplates(store: KeyValueStore | null, warn: (msg: string) => void = console.warn): Templates {
  let raw: string | null = null;
  try {
    raw = store?.getItem(TEMPLATES_KEY) ?? null;
    if (!raw) return {};
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    const out: Templates = {};
    let dropped = 0;
    for (const [scope, list] of Object.entries(parsed)) {
      if (!Array.isArray(list)) {
        dropped++;
        continue;
      }
      const good = list.filter(isTemplate).slice(0, MAX_PER_SCOPE);
      dropped += list.length - good.length;
      if (good.length > 0) out[scope] = good;
    }
    if (dropped > 0) warn(`swarmage: ignored ${dropped} malformed enqueue template(s) in localStorage (${TEMPLATES_KEY})`);
    return out;
  } catch (err) {
    warn(`swarmage: ignored the enqueue templates in localStorage (${TEMPLATES_KEY}): ${(err as Error).message}`);
    return {};
  }
}

/** False when the browser refused (quota, storage disabled): the caller says the template was not kept. */
export function saveTemplates(store: KeyValueStore | null, all: Templates, warn: (msg: string) => void = console.warn): boolean {
  try {
    if (!store) throw new Error('no localStorage');
    store.setItem(TEMPLATES_KEY, JSON.stringify(all));
    return true;
  } catch (err) {
    warn(`swarmage: could not save the enqueue templates: ${(err as Error).message}`);
    return false;
  }
}

function checkName(name: string): string | null {
  if (name.trim() === '') return 'Template name: give it a name';
  if (name.trim().length > MAX_NAME) return `Template name: at most ${MAX_NAME} characters`;
  return null;
}

/** The scope's list replaced, and the scope moved first (so trimming the scope count drops the stalest). */
function withList(all: Templates, scope: string, list: Template[]): Templates {
  const next: Templates = list.length > 0 ? { [scope]: list } : {};
  for (const [s, l] of Object.entries(all)) if (s !== scope && Object.keys(next).length < MAX_SCOPES) next[s] = l;
  return next;
}

/** Saves under its name, replacing a template of that name (overwrite). */
export function putTemplate(all: Templates, scope: string, t: Template): Change {
  const bad = checkName(t.name);
  if (bad) return { ok: false, message: bad };
  if (t.text.length > MAX_TEXT_CHARS)
    return { ok: false, message: `Template: the payload has ${t.text.length} characters; a template keeps at most ${MAX_TEXT_CHARS}` };
  const name = t.name.trim();
  const others = (all[scope] ?? []).filter((x) => x.name !== name);
  if (others.length >= MAX_PER_SCOPE) return { ok: false, message: `Template: at most ${MAX_PER_SCOPE} per type; delete one first` };
  return { ok: true, all: withList(all, scope, [{ ...t, name }, ...others]) };
}

export function renameTemplate(all: Templates, scope: string, from: string, to: string): Change {
  const bad = checkName(to);
  if (bad) return { ok: false, message: bad };
  const name = to.trim();
  const list = all[scope] ?? [];
  if (!list.some((t) => t.name === from)) return { ok: false, message: `Template "${from}" is gone` };
  if (name !== from && list.some((t) => t.name === name))
    return { ok: false, message: `Template name: "${name}" exists; delete it first or pick another name` };
  return {
    ok: true,
    all: withList(
      all,
      scope,
      list.map((t) => (t.name === from ? { ...t, name } : t)),
    ),
  };
}

export function deleteTemplate(all: Templates, scope: string, name: string): Templates {
  return withList(
    all,
    scope,
    (all[scope] ?? []).filter((t) => t.name !== name),
  );
}
