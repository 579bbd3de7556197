import type { z } from 'zod';

/** An error a user can fix: the message names the file, field path and what was expected. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [message],
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** One thing wrong, with the path of the field it is about (for editors to point at). */
export interface Problem {
  path: Array<string | number>;
  message: string;
}

/**
 * A union none of whose branches fits the input's type at all (a worker given as a string): zod
 * only says "Invalid input"; this says what would fit, e.g. "expected object or array, received string".
 */
function unionMismatch(issue: z.core.$ZodIssue): string | null {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return null;
  const tops = issue.errors.map((branch) => branch.find((i) => i.code === 'invalid_type' && i.path.length === 0));
  if (tops.some((t) => !t)) return null;
  const expected = [...new Set(tops.map((t) => (t as z.core.$ZodIssueInvalidType).expected))];
  const received = /received (\w+)/.exec(tops[0]!.message)?.[1];
  return `expected ${expected.join(' or ')}${received ? `, received ${received}` : ''}`;
}

/** The problems of one zod issue, flattened the same way describeIssue words them. */
export function issueProblems(issue: z.core.$ZodIssue): Problem[] {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const shaped = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (shaped.length === 1) return shaped[0].flatMap((i) => issueProblems({ ...i, path: [...issue.path, ...i.path] }));
    const mismatch = unionMismatch(issue);
    if (mismatch) return [{ path: issue.path.map((k) => (typeof k === 'number' ? k : String(k))), message: mismatch }];
  }
  if (issue.code === 'invalid_key' && issue.issues.length > 0) {
    return issue.issues.flatMap((i) => issueProblems({ ...i, path: [...issue.path, ...i.path] }));
  }
  const path = issue.path.map((k) => (typeof k === 'number' ? k : String(k)));
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => ({ path: [...path, k], message: 'unknown key' }));
  return [{ path, message: issue.message }];
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key))) out += (out ? '.' : '') + String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(top level)';
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  // zod reports a failed union (a worker: object or array) or record key with a bare "Invalid input" /
  // "Invalid key in record" at the parent; the real problems are nested one level down. Describe
  // those, with their full path. A union branch whose input had the wrong shape altogether is not it.
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const shaped = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (shaped.length === 1) return shaped[0].map((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] })).join('; ');
    const mismatch = unionMismatch(issue);
    if (mismatch) return `${formatPath(issue.path)}: ${mismatch}`;
  }
  if (issue.code === 'invalid_key' && issue.issues.length > 0) {
    return issue.issues.map((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] })).join('; ');
  }
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  return `${where}: ${issue.message}`;
}
