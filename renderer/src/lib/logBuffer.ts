import type { LogLine } from '../../../core/api/contract.js';

export const LOG_CAPACITY = 100_000;

/**
 * The newest `capacity` log lines in a ring, so memory stays bounded however long the page is open.
 * Each line gets an absolute position (0, 1, 2, ... since the last clear) that views use to refer to
 * it; positions before `start` have been dropped.
 */
export class LogBuffer {
  private ring: LogLine[] = [];
  private startAbs = 0;
  private endAbs = 0;
  private lastSeq = 0;
  private lastTime = 0;

  constructor(readonly capacity = LOG_CAPACITY) {}

  get start(): number {
    return this.startAbs;
  }
  get end(): number {
    return this.endAbs;
  }
  get size(): number {
    return this.endAbs - this.startAbs;
  }

  at(abs: number): LogLine | undefined {
    if (abs < this.startAbs || abs >= this.endAbs) return undefined;
    return this.ring[abs % this.capacity];
  }

  /**
   * Appends lines the buffer has not seen. The same lines can come twice (logs.recent after a
   * reconnect overlaps the live events), recognised by seq. A lower seq with a newer time means the
   * host restarted its logger: that is new, not a repeat.
   */
  append(lines: readonly LogLine[]): number {
    let added = 0;
    for (const line of lines) {
      if (line.seq <= this.lastSeq && line.time <= this.lastTime) continue;
      this.lastSeq = line.seq;
      this.lastTime = Math.max(this.lastTime, line.time);
      if (this.ring.length < this.capacity) this.ring.push(line);
      else this.ring[this.endAbs % this.capacity] = line;
      this.endAbs++;
      if (this.endAbs - this.startAbs > this.capacity) this.startAbs++;
      added++;
    }
    return added;
  }

  /** Forgets the lines and what was seen: another drone's log, whose seq numbers are its own, follows. */
  reset(): void {
    this.clear();
    this.lastSeq = 0;
    this.lastTime = 0;
  }

  /** Forgets the lines but not what was seen, so a later overlap is still recognised. */
  clear(): void {
    this.ring = [];
    this.startAbs = 0;
    this.endAbs = 0;
  }
}
