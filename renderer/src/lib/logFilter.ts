import type { LogLevel, LogLine } from '../../../core/api/contract.js';
import type { LogBuffer } from './logBuffer.js';

export const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LogFilter {
  /** The lowest level shown. */
  level: LogLevel;
  /** Part of the worker id, any case: "hexadecimal" matches hexadecimal#1 and #2. */
  worker: string;
  /** A task id, exactly. */
  task: string;
  /** Part of the message, any case. */
  text: string;
}

export const NO_FILTER: LogFilter = { level: 'debug', worker: '', task: '', text: '' };

export function isFiltering(f: LogFilter): boolean {
  return f.level !== 'debug' || f.worker.trim() !== '' || f.task.trim() !== '' || f.text !== '';
}

export function logPredicate(f: LogFilter): (line: LogLine) => boolean {
  const min = RANK[f.level] ?? 0;
  const worker = f.worker.trim().toLowerCase();
  const task = f.task.trim();
  const text = f.text.toLowerCase();
  return (line) =>
    (RANK[line.level] ?? 0) >= min &&
    (worker === '' || (line.worker !== undefined && line.worker.toLowerCase().includes(worker))) &&
    (task === '' || line.task === task) &&
    (text === '' || line.msg.toLowerCase().includes(text));
}

/**
 * The lines of a LogBuffer that pass a filter, kept up to date incrementally: new lines are tested
 * once when they arrive, dropped ones fall off the front. Only a filter change rescans everything.
 */
export class LogView {
  private matches: number[] = [];
  private head = 0;
  private scanned: number;
  private test: (line: LogLine) => boolean;
  /** Matching lines appended / dropped since the last filter change (for "N new" and scroll anchoring). */
  added = 0;
  dropped = 0;

  constructor(
    private readonly buffer: LogBuffer,
    private filterValue: LogFilter = NO_FILTER,
  ) {
    this.test = logPredicate(filterValue);
    this.scanned = buffer.start;
    this.sync();
  }

  get filter(): LogFilter {
    return this.filterValue;
  }

  get length(): number {
    return this.matches.length - this.head;
  }

  line(i: number): LogLine | undefined {
    const abs = this.matches[this.head + i];
    return abs === undefined ? undefined : this.buffer.at(abs);
  }

  setFilter(filter: LogFilter): void {
    this.filterValue = filter;
    this.test = logPredicate(filter);
    this.reset();
  }

  /** After the buffer was cleared. */
  reset(): void {
    this.matches = [];
    this.head = 0;
    this.scanned = this.buffer.start;
    this.added = 0;
    this.dropped = 0;
    this.sync();
    this.added = 0;
  }

  /** Takes in what the buffer gained and lost since the last call. */
  sync(): void {
    const start = this.buffer.start;
    while (this.head < this.matches.length && this.matches[this.head] < start) {
      this.head++;
      this.dropped++;
    }
    // Compacting now and then keeps the array from growing without bound while staying O(1) amortised.
    if (this.head > 10_000 && this.head * 2 > this.matches.length) {
      this.matches = this.matches.slice(this.head);
      this.head = 0;
    }
    for (let abs = Math.max(this.scanned, start); abs < this.buffer.end; abs++) {
      const line = this.buffer.at(abs);
      if (line && this.test(line)) {
        this.matches.push(abs);
        this.added++;
      }
    }
    this.scanned = this.buffer.end;
  }
}
