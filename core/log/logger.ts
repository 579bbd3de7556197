import fs from 'node:fs';
import { openPrivateAppend } from '../util/privateFiles.js';
import { MAX_LOG_LINE_BYTES, cutText } from '../util/truncate.js';
import type { LogLevel, LogLine } from '../api/types.js';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: LogLine): void;
  close?(): void;
}

/** What a line costs in the ring besides its message (the object, its other fields), roughly. */
const LINE_OVERHEAD_BYTES = 200;

/** The size a line is counted at in the ring: its text, not the exact heap size (which V8 decides). */
function lineBytes(line: LogLine): number {
  let n = LINE_OVERHEAD_BYTES + line.msg.length;
  for (const k in line) {
    const v = line[k];
    if (typeof v === 'string' && k !== 'msg') n += v.length;
  }
  return n;
}

/**
 * Keeps the newest lines in memory for the UI, bounded in lines and in bytes (the oldest go first):
 * a worker printing megabyte lines must not grow the drone however few lines it prints.
 */
export class LogRing implements LogSink {
  private lines: LogLine[] = [];
  /** Index of the oldest line kept: lines before it are dropped, and removed from the array in bulk. */
  private head = 0;
  private kept = 0;
  /** Bytes of the lines before head: dropped, yet still referenced until the next compaction. */
  private dropped = 0;
  private sizes: number[] = [];
  private listeners = new Set<(line: LogLine) => void>();
  constructor(
    readonly capacity = 5000,
    readonly maxBytes = 16 * 1024 * 1024,
  ) {}
  write(line: LogLine): void {
    const size = lineBytes(line);
    this.lines.push(line);
    this.sizes.push(size);
    this.kept += size;
    while (this.lines.length - this.head > this.capacity || (this.kept > this.maxBytes && this.lines.length - this.head > 1)) {
      this.kept -= this.sizes[this.head];
      this.dropped += this.sizes[this.head];
      this.head++;
    }
    // Dropping one at a time from the front of an array costs a copy each; in bulk, once in a while
    // (and soon enough that dropped lines do not hold more than a quarter of the cap on top of it).
    if ((this.head > 1024 && this.head * 2 > this.lines.length) || this.dropped > this.maxBytes / 4) {
      this.lines = this.lines.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
      this.dropped = 0;
    }
    for (const fn of this.listeners) fn(line);
  }
  /** The size of the lines kept, as counted against maxBytes. */
  get bytes(): number {
    return this.kept;
  }
  get size(): number {
    return this.lines.length - this.head;
  }
  /** The newest `limit` lines after seq `afterSeq`, oldest first. */
  recent(limit = this.capacity, afterSeq = 0): LogLine[] {
    // Sequence numbers grow along the array: find the first line after afterSeq by bisection.
    let lo = this.head;
    let hi = this.lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lines[mid].seq > afterSeq) hi = mid;
      else lo = mid + 1;
    }
    return this.lines.slice(Math.max(lo, this.lines.length - Math.min(limit, this.capacity)));
  }
  subscribe(fn: (line: LogLine) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The original Swarmage's format (Perl, 2008), `[level:pid]: message`, with the context that says where it happened. */
export class StderrSink implements LogSink {
  constructor(private readonly stream: NodeJS.WritableStream = process.stderr) {}
  write(line: LogLine): void {
    const ctx = [line.worker && `worker=${line.worker}`, line.task && `task=${line.task}`].filter(Boolean).join(' ');
    this.stream.write(`[${line.level}:${process.pid}] ${new Date(line.time).toISOString()} ${line.msg}${ctx ? ` (${ctx})` : ''}\n`);
  }
}

/** JSON lines, appended; opened once. Logs carry task data and errors: 0600 whatever the umask. */
export class FileSink implements LogSink {
  private fd: number;
  constructor(file: string) {
    try {
      this.fd = openPrivateAppend(file);
    } catch (err) {
      // Not followed: in a shared folder, someone else's link could aim the drone's writes at any file.
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new Error(`log.file ${file} is a symbolic link; give the path of the file itself`);
      throw err;
    }
  }
  write(line: LogLine): void {
    fs.writeSync(this.fd, JSON.stringify(line) + '\n');
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

export class Logger {
  private seq = 0;
  constructor(
    private level: LogLevel,
    private readonly sinks: LogSink[],
    private readonly fields: Partial<LogLine> = {},
    private readonly root?: Logger,
  ) {}

  child(fields: Partial<LogLine>): Logger {
    return new Logger(this.level, this.sinks, { ...this.fields, ...fields }, this.root ?? this);
  }
  setLevel(level: LogLevel): void {
    (this.root ?? this).level = level;
  }
  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[(this.root ?? this).level];
  }
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    const root = this.root ?? this;
    // Messages carry what workers print and tasks throw: bounded before any sink sees them.
    const line: LogLine = { ...this.fields, ...fields, seq: ++root.seq, time: Date.now(), level, msg: cutText(msg, MAX_LOG_LINE_BYTES) };
    for (const sink of this.sinks) sink.write(line);
  }
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
  close(): void {
    for (const sink of this.sinks) sink.close?.();
  }
}

export const isLogLevel = (s: unknown): s is LogLevel => typeof s === 'string' && s in RANK;
