/** The Failures view's filters as the API takes them, and the scope of a bulk action said in words. */
import type { FailureGroup } from '../../../core/api/contract.js';
import { plural } from './format.js';

export const WINDOWS = [
  { id: 'hour', label: 'last hour', ms: 3_600_000 },
  { id: 'day', label: 'last 24 h', ms: 86_400_000 },
  { id: 'week', label: 'last 7 days', ms: 7 * 86_400_000 },
  { id: 'all', label: 'all time', ms: null },
] as const;

export type WindowId = (typeof WINDOWS)[number]['id'];

export interface FailureFilter {
  /** One type, or '' for all. */
  type: string;
  window: WindowId;
}

/** "Failed since" for the API, from the time of the call (the window slides). */
export function sinceOf(window: WindowId, now: number): number | undefined {
  const ms = WINDOWS.find((w) => w.id === window)?.ms ?? null;
  return ms === null ? undefined : now - ms;
}

/** The arguments that select a group's tasks under the filter: for failed.list, failed.retry and failed.delete. */
export function groupSelection(group: string, f: FailureFilter, now: number): { group: string; type?: string; since?: number } {
  return { group, ...(f.type ? { type: f.type } : {}), ...(f.window === 'all' ? {} : { since: sinceOf(f.window, now) }) };
}

/** Which tasks "Retry all" / "Delete all" of a group touch, in words: the cause, the types, the time. */
export function groupScope(g: Pick<FailureGroup, 'count' | 'title'>, f: FailureFilter): string {
  const types = f.type ? `of type "${f.type}"` : 'of every type, on the whole queue';
  const when = f.window === 'all' ? 'whenever they failed' : `that failed in the ${WINDOWS.find((w) => w.id === f.window)!.label}`;
  return `${plural(g.count, 'failed task')} with the cause "${g.title}", ${types}, ${when}`;
}
