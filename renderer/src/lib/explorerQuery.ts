/**
 * The task explorer's filter form, as text fields, turned into tasks.search arguments — or into one
 * message naming the field that is wrong, before anything is sent.
 */
import type { ArgsIn } from '../../../core/api/contract.js';

export type SearchArgs = ArgsIn<'tasks.search'>;
export type WhereOp = NonNullable<SearchArgs['where']>['op'];
export const WHERE_OPS: WhereOp[] = ['=', '!=', '<', '<=', '>', '>=', 'exists', 'contains'];
export const TASK_STATES = ['queued', 'running', 'done', 'failed'] as const;

export interface ExplorerForm {
  type: string;
  state: '' | (typeof TASK_STATES)[number];
  edge: string;
  /** datetime-local values ("2026-11-28T10:30"), local time; empty for none. */
  from: string;
  to: string;
  path: string;
  op: WhereOp;
  /** JSON (42, true, null, "x") or plain text (taken as a string). */
  value: string;
}

export const EMPTY_FORM: ExplorerForm = { type: '', state: '', edge: '', from: '', to: '', path: '', op: '=', value: '' };

/** The contract's JSON path rule, repeated here to say what is wrong before sending. */
const JSON_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]{1,9}\])*$/;

/** A value typed in the condition: JSON when it parses as a scalar, else the text as a string. */
export function parseConditionValue(text: string): string | number | boolean | null {
  const t = text.trim();
  if (t === '') return '';
  try {
    const v: unknown = JSON.parse(t);
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  } catch {
    // plain text
  }
  return text;
}

function parseTime(text: string, field: string): { ok: true; value: number | undefined } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true, value: undefined };
  const t = new Date(text).getTime();
  if (!Number.isFinite(t) || t < 0) return { ok: false, message: `${field}: "${text}" is not a date and time` };
  return { ok: true, value: t };
}

export function toSearchArgs(form: ExplorerForm, limit = 50): { ok: true; args: SearchArgs } | { ok: false; message: string } {
  const args: SearchArgs = { limit };
  if (form.type.trim()) args.type = form.type.trim();
  if (form.state) args.state = form.state;
  if (form.edge.trim()) args.edge = form.edge.trim();
  const from = parseTime(form.from, 'from');
  if (!from.ok) return from;
  const to = parseTime(form.to, 'to');
  if (!to.ok) return to;
  if (from.value !== undefined && to.value !== undefined && from.value > to.value) return { ok: false, message: 'from: must not be after "to"' };
  if (from.value !== undefined) args.from = from.value;
  if (to.value !== undefined) args.to = to.value;
  const path = form.path.trim();
  if (path) {
    if (!JSON_PATH.test(path)) return { ok: false, message: `JSON path: "${path}" is not a path such as $.user.id or $.items[0]` };
    args.where = form.op === 'exists' ? { path, op: 'exists' } : { path, op: form.op, value: parseConditionValue(form.value) };
  } else if (form.value.trim()) {
    return { ok: false, message: 'JSON path: give a path (such as $.n) for the value to compare with' };
  }
  return { ok: true, args };
}
