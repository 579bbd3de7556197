/**
 * Counting finished jobs without asking the database: every system's no-op handler records
 * checkpoints (its running count and the time) at the first job, every STEP jobs, and a moment after
 * it goes quiet. Our workers are child processes, so they append those lines to a file each; the
 * peers' handlers run in this process and record them in memory. Merging the sources gives the
 * whole system's progress curve: when it started, how many are done, when the k-th job ran.
 */
import fs from 'node:fs';
import path from 'node:path';
import { now } from './env.js';

export const STEP = 100;

/** One source's checkpoints: [running count, time] pairs, counts increasing. */
type Points = Array<[number, number]>;

/** Progress of one in-process handler. */
export class Tally {
  count = 0;
  private last = 0;
  readonly points: Points = [];
  private timer: NodeJS.Timeout | null = null;

  add(n = 1): void {
    const t = now();
    const before = this.count;
    this.count += n;
    this.last = t;
    if (before === 0 || Math.floor(before / STEP) !== Math.floor(this.count / STEP)) this.points.push([this.count, t]);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const tail = this.points[this.points.length - 1];
      if (!tail || tail[0] !== this.count) this.points.push([this.count, this.last]);
    }, 20);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Reads the progress files our no-op workers append to (progress-<pid>.log in a directory). */
export class ProgressFiles {
  private readonly offsets = new Map<string, number>();
  private readonly rest = new Map<string, string>();
  private readonly sources = new Map<string, Points>();

  constructor(readonly dir: string) {}

  /** Reads what the workers appended since the last call. */
  poll(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.startsWith('progress-'));
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(this.dir, name);
      const from = this.offsets.get(file) ?? 0;
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch {
        continue;
      }
      if (size <= from) continue;
      const fd = fs.openSync(file, 'r');
      const buf = Buffer.alloc(size - from);
      fs.readSync(fd, buf, 0, buf.length, from);
      fs.closeSync(fd);
      this.offsets.set(file, size);
      const text = (this.rest.get(file) ?? '') + buf.toString('utf8');
      const lines = text.split('\n');
      this.rest.set(file, lines.pop() ?? '');
      let points = this.sources.get(file);
      if (!points) this.sources.set(file, (points = []));
      for (const line of lines) {
        const [c, t] = line.split(' ').map(Number);
        if (Number.isFinite(c) && Number.isFinite(t)) points.push([c, t]);
      }
    }
  }

  /** Jobs counted so far, over every file (after a poll). */
  total(): number {
    let n = 0;
    for (const points of this.sources.values()) if (points.length > 0) n += points[points.length - 1][0];
    return n;
  }

  all(): Points[] {
    return [...this.sources.values()];
  }
}

/** The merged progress of all sources. */
export class Curve {
  /** [time, total done] in time order. */
  readonly points: Array<[number, number]>;

  constructor(sources: Points[]) {
    const deltas: Array<[number, number]> = [];
    for (const src of sources) {
      let prev = 0;
      for (const [c, t] of src) {
        if (c > prev) deltas.push([t, c - prev]);
        prev = Math.max(prev, c);
      }
    }
    deltas.sort((a, b) => a[0] - b[0]);
    let total = 0;
    this.points = deltas.map(([t, d]) => [t, (total += d)]);
  }

  get total(): number {
    return this.points.length ? this.points[this.points.length - 1][1] : 0;
  }

  /** When the first job ran. */
  get first(): number | null {
    return this.points.length ? this.points[0][0] : null;
  }

  /** How many the first checkpoint already counted (1 for our workers; a whole batch for batch handlers). */
  get firstCount(): number {
    return this.points.length ? this.points[0][1] : 0;
  }

  get last(): number | null {
    return this.points.length ? this.points[this.points.length - 1][0] : null;
  }

  /** When the k-th job ran (interpolated between checkpoints), or null if it has not yet. */
  timeOf(k: number): number | null {
    let prevT = this.first;
    let prevC = 0;
    for (const [t, c] of this.points) {
      if (c >= k) {
        if (prevT === null || c === prevC) return t;
        return prevT + ((t - prevT) * (k - prevC)) / (c - prevC);
      }
      prevT = t;
      prevC = c;
    }
    return null;
  }

  /** Jobs done by time t. */
  countAt(t: number): number {
    let n = 0;
    for (const [pt, c] of this.points) {
      if (pt > t) break;
      n = c;
    }
    return n;
  }
}
