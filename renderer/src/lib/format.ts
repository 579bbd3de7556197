import { parseJson } from '../../../core/api/contract.js';

// Shared with the CLI's tables: one way to say how long.
export { formatDuration } from '../../../core/api/contract.js';

/** Tasks per second: one decimal below 10, whole numbers above. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0';
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

/** "10,000+" for a count that is a lower bound; digits grouped the same in every locale. */
export function formatCount(n: number, lowerBound = false): string {
  return `${n.toLocaleString('en-US')}${lowerBound ? '+' : ''}`;
}

/** Local wall-clock time with milliseconds, for log lines. */
export function formatClock(time: number): string {
  return `${formatTimeOfDay(time)}.${String(new Date(time).getMilliseconds()).padStart(3, '0')}`;
}

/** Local wall-clock time to the second: when something will happen today. */
export function formatTimeOfDay(time: number): string {
  const d = new Date(time);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** A date and time for things that may be days old (failed tasks). */
export function formatDateTime(value: string | number): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Fraction for a bar, clamped to 0..1 (a type can briefly hold more than its capacity after a restart). */
export function fraction(value: number, max: number): number {
  if (!(max > 0)) return value > 0 ? 1 : 0;
  return Math.min(1, Math.max(0, value / max));
}

/** JSON for display; undefined (no data) shows as null, as the queue stores it. */
export function prettyJson(value: unknown): string {
  if (value === undefined) return 'null';
  try {
    return JSON.stringify(value, null, 2) ?? 'null';
  } catch {
    return String(value);
  }
}

/** JSON text (a step's input, a task's data) indented; text that is not JSON (cut to a bound) as it is. */
export function prettyJsonText(text: string | null): string {
  if (text === null) return '';
  const p = parseJson(text);
  return p.ok ? JSON.stringify(p.value, null, 2) : text;
}

/** An error for display: a stack usually starts with the message, and then the stack alone says it all. */
export function errorWithStack(error: string | null, stack: string | null): string {
  if (error === null) return stack ?? '—';
  return stack?.includes(error) ? stack : `${error}${stack ? `\n\n${stack}` : ''}`;
}

/** "1 task" / "3 tasks". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
