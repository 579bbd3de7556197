/**
 * Which failures are worth telling a person about: the first of each cause, then nothing more of
 * that cause for a while, and never a flood however many causes appear at once. A notification per
 * failed task would bury the desktop the moment a pipeline breaks, which is exactly when it matters.
 */
export interface NoticeLimits {
  /** A cause already told is not told again for this long. */
  perGroupMs: number;
  /** At most `burst` notices in any `windowMs`. */
  burst: number;
  windowMs: number;
}

export const DEFAULT_NOTICE_LIMITS: NoticeLimits = { perGroupMs: 15 * 60_000, burst: 3, windowMs: 60_000 };

/** Causes remembered at once; the oldest are forgotten first. */
const MAX_GROUPS = 1000;

export class FailureNotices {
  private readonly told = new Map<string, number>();
  private recent: number[] = [];

  constructor(private readonly limits: NoticeLimits = DEFAULT_NOTICE_LIMITS) {}

  /** True when a failure of `group` at `now` should be told (and counts it as told). */
  admit(group: string, now: number): boolean {
    const last = this.told.get(group);
    if (last !== undefined && now - last < this.limits.perGroupMs) return false;
    this.recent = this.recent.filter((t) => now - t < this.limits.windowMs);
    if (this.recent.length >= this.limits.burst) return false;
    this.recent.push(now);
    this.told.delete(group);
    this.told.set(group, now);
    if (this.told.size > MAX_GROUPS) this.told.delete(this.told.keys().next().value!);
    return true;
  }
}
