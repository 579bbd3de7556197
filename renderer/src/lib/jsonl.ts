/**
 * The Enqueue view's bulk import: a JSONL file, one task per line, checked in full before anything
 * is sent. A line is the task's data, except an object with a "data" key and no keys but
 * type, data, priority, maxAttempts and delayMs: that is the task itself (its own type and options).
 * To send such an object as data, wrap it: {"data": {"data": 1}}. Blank lines are skipped.
 */
import { MAX_DELAY_MS, MAX_PAYLOAD_BYTES, parseJson } from '../../../core/api/contract.js';

export interface ImportedTask {
  /** The line of the file (from 1), for every message about this task. */
  line: number;
  type: string;
  data: unknown;
  priority?: number;
  maxAttempts?: number;
  delayMs?: number;
}

export interface LineProblem {
  line: number;
  message: string;
}

export interface JsonlImport {
  tasks: ImportedTask[];
  /** The first MAX_PROBLEMS problems; `problemCount` counts them all. */
  problems: LineProblem[];
  problemCount: number;
}

export const MAX_IMPORT_TASKS = 100_000;
/** Bigger than the tasks allowed could hold, with room for whitespace: refused before reading. */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
const MAX_PROBLEMS = 100;
const TASK_KEYS = new Set(['type', 'data', 'priority', 'maxAttempts', 'delayMs']);

/** Every line is read: `defaultType` is the type of a line that does not name one. */
export function parseJsonl(text: string, defaultType: string): JsonlImport {
  const out: JsonlImport = { tasks: [], problems: [], problemCount: 0 };
  const problem = (line: number, message: string) => {
    out.problemCount++;
    if (out.problems.length < MAX_PROBLEMS) out.problems.push({ line, message });
  };
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const line = i + 1;
    if (out.tasks.length + out.problemCount >= MAX_IMPORT_TASKS) {
      problem(line, `more than ${MAX_IMPORT_TASKS.toLocaleString('en')} tasks in one file; split it`);
      break;
    }
    const value = readLine(raw);
    if (!value.ok) {
      problem(line, value.message);
      continue;
    }
    const task = toTask(value.value, raw, line, defaultType);
    if (typeof task === 'string') problem(line, task);
    else out.tasks.push(task);
  }
  return out;
}

function readLine(raw: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    // JSON.parse's message does not say where in every engine; this does.
    const parsed = parseJson(raw);
    return parsed.ok ? parsed : { ok: false, message: `not JSON: ${parsed.problem.message} at column ${parsed.problem.column}` };
  }
}

/** The task of one line, or what is wrong with it. */
function toTask(value: unknown, raw: string, line: number, defaultType: string): ImportedTask | string {
  const isTask = typeof value === 'object' && value !== null && !Array.isArray(value) && 'data' in value && Object.keys(value).every((k) => TASK_KEYS.has(k));
  const t = (isTask ? value : { data: value }) as Record<string, unknown>;
  const type = t.type === undefined ? defaultType.trim() : t.type;
  if (typeof type !== 'string' || type.trim() === '')
    return t.type === undefined ? 'no task type: choose one above, or give "type" on the line' : '"type" must be a non-empty string';
  if (type.length > 200) return `"type" has ${type.length} characters; the limit is 200`;
  if (type.startsWith('local:')) return `"type": "local:" only chains inside a drone; use ${JSON.stringify(type.slice(6))}`;
  const task: ImportedTask = { line, type, data: t.data };
  const ints: Array<[keyof ImportedTask & string, number, number]> = [
    ['priority', -(2 ** 31), 2 ** 31 - 1],
    ['maxAttempts', 1, 1000],
    ['delayMs', 0, MAX_DELAY_MS],
  ];
  for (const [key, min, max] of ints) {
    const v = t[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return `"${key}" must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`;
    (task as unknown as Record<string, number>)[key] = v;
  }
  // A line's data is never longer than the line: only a long line needs measuring.
  const bytes = raw.length * 3 > MAX_PAYLOAD_BYTES ? new TextEncoder().encode(JSON.stringify(t.data ?? null)).length : 0;
  if (bytes > MAX_PAYLOAD_BYTES) return `the data is ${bytes} bytes of JSON; a task's limit is ${MAX_PAYLOAD_BYTES} (1 MiB)`;
  return task;
}
