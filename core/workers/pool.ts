import { EventEmitter } from 'node:events';
import type { ResolvedWorker } from '../config/load.js';
import type { Step } from '../queue/local/types.js';
import type { Logger } from '../log/logger.js';
import { Instance, type InstanceHost } from './instance.js';
import { DebugSessions } from './debugSessions.js';
import type { PoolEvents, WorkerPoolLike } from './poolLike.js';
import type { InstanceInfo } from '../api/types.js';
import type { InspectorAddress } from './types.js';

const TICK_MS = 100;

/**
 * No task waits behind a long one while a sibling sits idle: an instance with a free slot takes
 * back what a stalled sibling holds unstarted (they come back through 'requeue' and are handed out
 * again, not to the stalled one, which takes no more than it runs while stalled).
 */
function rebalance(list: Instance[], now: number): void {
  if (list.length < 2 || !list.some((i) => i.accepting && i.inflight.size < i.spec.concurrency)) return;
  for (const i of list) if (i.queuedInProcess > 0 && i.stalled(now)) i.askGiveBack();
}

/** The worker processes of one drone: spawns them, hands them steps, turns crashes and timeouts into failures. */
export class WorkerPool extends EventEmitter<PoolEvents> implements WorkerPoolLike {
  private readonly byType = new Map<string, Instance[]>();
  private readonly debugging: DebugSessions;
  private readonly schemas = new Map<string, unknown>();
  /** Steps that were held by a worker killed with results unreported (batchResults): each runs alone next time. */
  readonly suspects = new Set<number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    workers: Record<string, ResolvedWorker[]>,
    public log: Logger,
  ) {
    super();
    const host: InstanceHost = {
      log: () => this.log,
      suspects: this.suspects,
      ready: (type, schema) => {
        if (schema !== undefined) this.setSchema(type, schema);
        this.emit('ready', type);
      },
      results: (out) => this.emit('results', out),
      requeue: (steps) => this.emit('requeue', steps),
      stepLog: (line) => this.emit('stepLog', line),
    };
    for (const [type, specs] of Object.entries(workers)) {
      this.byType.set(
        type,
        specs.map((spec, i) => new Instance(specs.length > 1 ? `${type}#${i + 1}` : type, type, spec, host)),
      );
    }
    this.debugging = new DebugSessions(host);
  }

  types(): string[] {
    return [...this.byType.keys()];
  }
  serves(type: string): boolean {
    return this.byType.has(type);
  }
  instanceCount(type: string): number {
    return this.byType.get(type)?.length ?? 0;
  }

  /** Starts every instance; if any module fails to load, stops them all and says which and why. */
  async start(): Promise<void> {
    const all = [...this.byType.values()].flat();
    const results = await Promise.allSettled(all.map((i) => i.spawn()));
    const problems = results.flatMap((r, n) => (r.status === 'rejected' ? [`${all[n].spec.where}.module: ${(r.reason as Error).message}`] : []));
    if (problems.length > 0) {
      await this.stop(0);
      throw new Error(problems.join('\n'));
    }
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const i of all) i.checkTimeout(now);
      for (const list of this.byType.values()) rebalance(list, now);
    }, TICK_MS);
    this.timer.unref();
  }

  /** The instances of a type, its debug instance (if any) last. */
  private all(type: string): Instance[] {
    const list = this.byType.get(type) ?? [];
    const d = this.debugging.instance(type);
    return d ? [...list, d] : list;
  }

  private everyInstance(): Instance[] {
    return [...this.byType.keys()].flatMap((t) => this.all(t));
  }

  /** Hands buffered steps of a type to its instances, least loaded first, one message per instance. */
  fill(type: string, pending: Step[]): void {
    if (pending.length === 0) return;
    // A debug instance that is free takes the next step first ("the next task of that type").
    this.debugging.offer(type, pending);
    const instances = this.byType.get(type)?.filter((i) => i.accepting);
    if (!instances || instances.length === 0 || pending.length === 0) return;
    const batches = new Map<Instance, Step[]>();
    const load = new Map(instances.map((i) => [i, i.inflight.size]));
    const now = Date.now();
    const limits = new Map(instances.map((i) => [i, i.limitAt(now)]));
    while (pending.length > 0) {
      let best: Instance | null = null;
      for (const i of instances) {
        const l = load.get(i)!;
        if (l < limits.get(i)! && (best === null || l < load.get(best)!)) best = i;
      }
      if (!best) break;
      load.set(best, load.get(best)! + 1);
      let batch = batches.get(best);
      if (!batch) batches.set(best, (batch = []));
      batch.push(pending.shift()!);
    }
    for (const [i, steps] of batches) i.assign(steps);
  }

  /** Tasks the instances of a type take ahead of time, together. */
  prefetchTotal(type: string): number {
    const now = Date.now();
    let n = 0;
    for (const i of this.byType.get(type) ?? []) n += i.limitAt(now);
    return n;
  }

  /** Tasks the instances of a type can run at once, together. */
  slots(type: string): number {
    let n = 0;
    for (const i of this.byType.get(type) ?? []) n += i.spec.concurrency;
    return n;
  }

  /** Running slots of a type with nothing to run, in instances that take work. */
  idleSlots(type: string): number {
    let n = 0;
    for (const i of this.byType.get(type) ?? []) if (i.accepting) n += Math.max(0, i.spec.concurrency - i.inflight.size);
    return n;
  }

  /** The type's instances together: tasks finished, and time they held work (cumulative, to now). */
  service(type: string, now: number): { finished: number; busyMs: number } {
    let finished = 0;
    let busyMs = 0;
    for (const i of this.byType.get(type) ?? []) {
      const s = i.service(now);
      finished += s.finished;
      busyMs += s.busyMs;
    }
    return { finished, busyMs };
  }

  /** What each instance of the type without a prefetch setting takes ahead. */
  setAutoPrefetch(type: string, n: number): void {
    for (const i of this.byType.get(type) ?? []) i.autoPrefetch = n;
  }

  /** Whether each instance of the type has a prefetch setting of its own. */
  prefetchFixed(type: string): boolean {
    return (this.byType.get(type) ?? []).every((i) => i.spec.prefetch !== undefined);
  }

  /** Steps handed to workers and not finished, by type. */
  inflightCount(type: string): number {
    let n = 0;
    for (const i of this.all(type)) n += i.inflight.size;
    return n;
  }

  runningCount(type: string): number {
    let n = 0;
    for (const i of this.all(type)) for (const f of i.inflight.values()) if (f.startedAt !== null) n++;
    return n;
  }

  totalInflight(): number {
    let n = 0;
    for (const i of this.everyInstance()) n += i.inflight.size;
    return n;
  }

  instances(): InstanceInfo[] {
    const now = Date.now();
    return this.everyInstance().map((i) => i.info(now));
  }

  /** When a step handed to a worker began running: a time, null while it waits in the worker, undefined when no worker holds it. */
  startedAt(type: string, stepId: number): number | null | undefined {
    for (const i of this.all(type)) {
      const t = i.startedAt(stepId);
      if (t !== undefined) return t;
    }
    return undefined;
  }

  /** The JSON Schema a type's module exports for its task data, or null. */
  schema(type: string): unknown {
    return this.schemas.get(type) ?? null;
  }

  setSchema(type: string, schema: unknown): void {
    this.schemas.set(type, schema);
  }

  /** The module files of the types, each with the types it serves (hot reload watches these). */
  modules(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [type, list] of this.byType) {
      for (const i of list) {
        const types = out.get(i.spec.modulePath) ?? [];
        if (!types.includes(type)) types.push(type);
        out.set(i.spec.modulePath, types);
      }
    }
    return out;
  }

  /** Restarts every instance of a type, one after another (gracefully: none of its tasks is lost), for new code. */
  async restartType(type: string, graceMs: number): Promise<void> {
    for (const i of this.all(type)) {
      if (i.state === 'stopped' && !i.debug) continue;
      await i.restart(graceMs);
    }
  }

  /** Starts (or returns) the debug instance of a type; resolves once its inspector listens. */
  async debug(type: string): Promise<{ instance: string; inspector: InspectorAddress; taskId: string | null }> {
    const spec = this.byType.get(type)?.[0]?.spec;
    if (!spec) throw new Error(this.noType(type));
    return this.debugging.open(type, spec);
  }

  /** The debug session of a type, if one is open. */
  debugInfo(type: string): { instance: string; inspector: InspectorAddress | null; taskId: string | null } | null {
    return this.debugging.info(type);
  }

  /** Ends a debug session: the instance stops, a task it holds goes back to the buffer. */
  async undebug(type: string, graceMs: number): Promise<void> {
    if (!this.byType.has(type)) throw new Error(this.noType(type));
    await this.debugging.close(type, graceMs);
  }

  private noType(type: string): string {
    return `no worker type ${JSON.stringify(type)} in this drone; it has ${this.types().join(', ') || 'none'}`;
  }

  private instance(id: string): Instance {
    const all = this.everyInstance();
    const found = all.find((i) => i.id === id);
    if (!found) throw new Error(`no worker instance ${JSON.stringify(id)}; this drone has ${all.map((i) => i.id).join(', ') || 'none'}`);
    return found;
  }

  restartInstance(id: string, graceMs: number): Promise<void> {
    this.log.info(`restarting worker ${id}`);
    return this.instance(id).restart(graceMs);
  }

  stopInstance(id: string, graceMs: number): Promise<void> {
    this.log.info(`stopping worker ${id}`);
    return this.instance(id).stop(graceMs);
  }

  startInstance(id: string): Promise<void> {
    this.log.info(`starting worker ${id}`);
    return this.instance(id).start();
  }

  async stop(graceMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.everyInstance().map((i) => i.stop(graceMs)));
  }
}
