import fs from 'node:fs';
import path from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogLine {
  seq: number;
  time: number;
  level: LogLevel;
  msg: string;
  drone?: string;
  worker?: string;
  task?: string;
  [extra: string]: unknown;
}

export interface LogSink {
  write(line: LogLine): void;
  close?(): void;
}

/** Keeps the newest lines in memory for the UI; bounded so a chatty worker cannot grow the drone. */
export class LogRing implements LogSink {
  private lines: LogLine[] = [];
  private listeners = new Set<(line: LogLine) => void>();
  constructor(readonly capacity = 5000) {}
  write(line: LogLine): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity * 1.25) this.lines = this.lines.slice(-this.capacity);
    for (const fn of this.listeners) fn(line);
  }
  recent(limit = this.capacity, afterSeq = 0): LogLine[] {
    const from = this.lines.filter((l) => l.seq > afterSeq);
    return from.slice(-Math.min(limit, this.capacity));
  }
  subscribe(fn: (line: LogLine) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The seed's format, `[level:pid]: message`, with the context that says where it happened. */
export class StderrSink implements LogSink {
  constructor(private readonly stream: NodeJS.WritableStream = process.stderr) {}
  write(line: LogLine): void {
    const ctx = [line.worker && `worker=${line.worker}`, line.task && `task=${line.task}`].filter(Boolean).join(' ');
    this.stream.write(`[${line.level}:${process.pid}] ${new Date(line.time).toISOString()} ${line.msg}${ctx ? ` (${ctx})` : ''}\n`);
  }
}

/** JSON lines, appended; opened once. */
export class FileSink implements LogSink {
  private fd: number;
  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a');
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
    const line: LogLine = { ...this.fields, ...fields, seq: ++root.seq, time: Date.now(), level, msg };
    for (const sink of this.sinks) sink.write(line);
  }
  debug(msg: string, fields?: Record<string, unknown>): void { this.log('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.log('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.log('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.log('error', msg, fields); }
  close(): void {
    for (const sink of this.sinks) sink.close?.();
  }
}

export const isLogLevel = (s: unknown): s is LogLevel => typeof s === 'string' && s in RANK;
