import type { ResolvedWorker } from '../config/load.js';
import type { Step } from '../queue/local/types.js';
import { Instance, type InstanceHost } from './instance.js';
import type { InspectorAddress } from './types.js';

const INSPECTOR_LINE = /^Debugger listening on (ws:\/\/(127\.0\.0\.1):(\d+)\/[0-9a-f-]+)$/;
const INSPECTOR_NOTE = /^(Debugger listening on |For help, see: |Debugger attached\.|Debugger ending on |Waiting for the debugger to disconnect)/;

/**
 * Where the inspector listens, from the line Node writes on stderr when it starts; null for any
 * other line (the worker's own code writes to stderr too). Only a loopback address is taken: that
 * is where a debug instance's inspector is told to listen.
 */
export function parseInspectorLine(line: string): InspectorAddress | null {
  const m = INSPECTOR_LINE.exec(line);
  return m ? { webSocketUrl: m[1], host: m[2], port: Number(m[3]) } : null;
}

/** The inspector's own lines on stderr: news, not warnings. */
export function isInspectorNote(line: string): boolean {
  return INSPECTOR_NOTE.test(line);
}

/** An open "debug this type" session. */
export interface DebugSessionInfo {
  instance: string;
  inspector: InspectorAddress | null;
  taskId: string | null;
}

/** One type's debug instance, where its inspector listens and the last task it was handed. */
class DebugSession {
  readonly instance: Instance;
  inspector: InspectorAddress | null = null;
  lastTask: string | null = null;
  private waiters: Array<() => void> = [];

  constructor(type: string, spec: ResolvedWorker, host: InstanceHost) {
    this.instance = new Instance(
      `${type}~debug`,
      type,
      spec,
      {
        ...host,
        // Each process gets an inspector of its own (a restart picks another port).
        spawning: () => {
          this.inspector = null;
        },
        stderrLine: (line) => {
          const address = parseInspectorLine(line);
          if (address) {
            this.inspector = address;
            for (const w of this.waiters.splice(0)) w();
          }
          return isInspectorNote(line);
        },
      },
      true,
    );
  }

  /** Resolves once the inspector said where it listens, or after `ms`. */
  async inspectorReady(ms: number): Promise<InspectorAddress | null> {
    if (!this.inspector) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.inspector;
  }

  info(): DebugSessionInfo {
    return { instance: this.instance.id, inspector: this.inspector, taskId: this.lastTask };
  }
}

/**
 * "Debug this type": one extra instance per type, with the Node inspector on loopback, outside
 * the type's capacity. It takes one task at a time, never times out, and gets the next task of
 * its type whenever it is free.
 */
export class DebugSessions {
  private readonly sessions = new Map<string, DebugSession>();

  constructor(private readonly host: InstanceHost) {}

  /** The debug instance of a type, if one is open. */
  instance(type: string): Instance | undefined {
    return this.sessions.get(type)?.instance;
  }

  /** Starts (or returns) the debug session of a type; resolves once its inspector listens. */
  async open(type: string, spec: ResolvedWorker): Promise<{ instance: string; inspector: InspectorAddress; taskId: string | null }> {
    let d = this.sessions.get(type);
    if (!d) {
      d = new DebugSession(type, spec, this.host);
      this.sessions.set(type, d);
      this.host.log().info(`debug: starting ${d.instance.id} with the Node inspector on 127.0.0.1; the next ${type} task goes to it`);
      try {
        await d.instance.spawn();
      } catch (err) {
        this.sessions.delete(type);
        await d.instance.stop(0);
        throw err;
      }
    }
    const inspector = await d.inspectorReady(10_000);
    if (!inspector) throw new Error(`${d.instance.id}: the Node inspector did not say where it listens`);
    return { instance: d.instance.id, inspector, taskId: d.lastTask };
  }

  info(type: string): DebugSessionInfo | null {
    return this.sessions.get(type)?.info() ?? null;
  }

  /** Ends the session of a type: the instance stops, a task it holds goes back to the buffer. */
  async close(type: string, graceMs: number): Promise<void> {
    const d = this.sessions.get(type);
    if (!d) return;
    this.host.log().info(`debug: stopping ${d.instance.id}`);
    await d.instance.stop(graceMs);
    this.sessions.delete(type);
  }

  /** Hands the first of `pending` to the type's debug instance if it is free, taking it off the list. */
  offer(type: string, pending: Step[]): void {
    const d = this.sessions.get(type);
    if (!d || !d.instance.accepting || d.instance.inflight.size !== 0) return;
    const step = pending.shift()!;
    d.lastTask = step.rootId;
    this.host.log().child({ worker: d.instance.id }).info(`handed task ${step.rootId} (${type}) to the debug instance`, { task: step.rootId });
    d.instance.assign([step]);
  }
}
