/**
 * Counts per second over the last `seconds`, in a fixed ring: constant memory however long the
 * drone runs, and cheap to add to on the hot path.
 */
export class RateMeter {
  private readonly buckets: Float64Array;
  private head: number;

  constructor(
    private readonly seconds = 300,
    now = Date.now(),
  ) {
    this.buckets = new Float64Array(seconds);
    this.head = Math.floor(now / 1000);
  }

  add(n = 1, now = Date.now()): void {
    this.advance(now);
    this.buckets[this.head % this.seconds] += n;
  }

  /** Average per second over the last `window` whole seconds (the current, partial one excluded). */
  perSecond(window = 5, now = Date.now()): number {
    this.advance(now);
    let sum = 0;
    for (let i = 1; i <= window; i++) sum += this.buckets[(this.head - i + this.seconds) % this.seconds];
    return sum / window;
  }

  /** The last `n` whole seconds, oldest first. */
  history(n = 60, now = Date.now()): number[] {
    this.advance(now);
    const out: number[] = [];
    for (let i = n; i >= 1; i--) out.push(this.buckets[(this.head - i + this.seconds) % this.seconds]);
    return out;
  }

  private advance(now: number): void {
    const sec = Math.floor(now / 1000);
    if (sec <= this.head) return;
    const steps = Math.min(sec - this.head, this.seconds);
    for (let i = 1; i <= steps; i++) this.buckets[(this.head + i) % this.seconds] = 0;
    this.head = sec;
  }
}
