import { createHash } from 'node:crypto';

/**
 * Groups failures by cause, as Sentry groups issues: the error's first line with what varies between
 * occurrences taken out (numbers, ids, quoted values, addresses), plus the first stack frame of the
 * user's code without line and column. "task 17 timed out after 3001 ms" and "task 942 timed out
 * after 2999 ms" are one cause; the same message thrown from two places is two.
 */
export interface ErrorGroup {
  /** 16 hex digits: stored with the failed task (tasks.error_group). */
  key: string;
  title: string;
  frame: string | null;
}

const TITLE_MAX = 300;

const REPLACEMENTS: Array<[RegExp, string]> = [
  [/"(?:[^"\\]|\\.){0,200}"|'(?:[^'\\]|\\.){0,200}'|`[^`]{0,200}`/g, '<str>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(:\d+)?\b/g, '<ip>'],
  [/\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>'],
  [/\d+(\.\d+)?/g, '<n>'],
];

/** The message's first line with its varying parts replaced. */
export function normaliseMessage(message: string): string {
  let line = (message.split('\n', 1)[0] ?? '').trim();
  for (const [re, by] of REPLACEMENTS) line = line.replace(re, by);
  return line.replace(/\s+/g, ' ').slice(0, TITLE_MAX);
}

/**
 * The first frame of the stack in the user's code: node's own frames (node:internal, the worker
 * runner) are skipped, and the location keeps the file's name but not its line and column, which
 * move with every edit.
 */
export function firstFrame(stack: string | null | undefined): string | null {
  if (!stack) return null;
  for (const raw of stack.split('\n')) {
    const m = /^\s*at\s+(?:(.*?)\s+\()?(.*?)(?::\d+)?(?::\d+)?\)?\s*$/.exec(raw);
    if (!m) continue;
    const where = m[2];
    if (where.startsWith('node:') || where.includes('/core/workers/') || where === 'native' || where === '<anonymous>') continue;
    const file =
      where
        .replace(/^file:\/\//, '')
        .split(/[\\/]/)
        .pop() ?? where;
    return m[1] ? `${m[1]} (${file})` : file;
  }
  return null;
}

export function errorGroup(message: string, stack?: string | null): ErrorGroup {
  const title = normaliseMessage(message);
  const frame = firstFrame(stack);
  const key = createHash('sha256')
    .update(`${title}\n${frame ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return { key, title, frame };
}
