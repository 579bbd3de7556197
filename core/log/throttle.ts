/**
 * Whether a line is due: each key at most once per `everyMs`. A failure that recurs with every
 * heartbeat or poll must not fill the log, yet must show up again while it lasts.
 */
export class LogThrottle {
  private readonly said = new Map<string, number>();

  constructor(private readonly everyMs = 10_000) {}

  due(key: string, now = Date.now()): boolean {
    const at = this.said.get(key);
    if (at !== undefined && now - at < this.everyMs) return false;
    // Keys may carry an error's text: forget the stale ones rather than grow without bound.
    if (this.said.size >= 100) for (const [k, t] of this.said) if (now - t >= this.everyMs) this.said.delete(k);
    this.said.set(key, now);
    return true;
  }
}
