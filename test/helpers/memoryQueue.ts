import { EventEmitter } from 'node:events';
import type { FailedTask, FailureGroup, FleetDrone, GlobalTask, QueueTypeRow } from '../../core/api/types.js';
import type { FailedSelection, GlobalQueue, WakeupEvents, WakeupState, Wakeups } from '../../core/queue/globalQueue.js';
import type { ClaimRequest, ClaimedTask, Completion, DroneRow, Failure, NewTask, ResumePoint, TaskProgress } from '../../core/queue/types.js';

interface Row {
  id: string;
  type: string;
  dataJson: string;
  postback: string | null;
  attempts: number;
  maxAttempts: number;
  state: 'available' | 'claimed' | 'failed';
  claimedBy: string | null;
  createdAt: number;
  /** Where the next attempt starts, after a failure at a `local:` step (see Failure). */
  resumeType: string | null;
  resumeDataJson: string | null;
  lastError: string | null;
}

/**
 * A global queue in this process's memory, for tests of the drone's own logic: it keeps every call
 * so a test can see the round trips the drone makes. `down` makes every call fail as an unreachable
 * database does. (No leases or priorities: the Postgres queue's tests cover those.)
 */
export class MemoryQueue implements GlobalQueue {
  readonly rows = new Map<string, Row>();
  readonly calls: Array<{ op: string; n: number; acks?: number }> = [];
  readonly done: string[] = [];
  down = false;
  /** Awaited by a claim after it has read the table, before it answers: a claim on its way back. */
  claimInFlight: (() => Promise<void>) | null = null;
  /** The database's clock, when a test sets it apart from this process's. */
  clockMs: number | null = null;
  private nextId = 1;
  private readonly wake = new (class extends EventEmitter<WakeupEvents> implements Wakeups {
    state: WakeupState = 'down';
    readonly direct = false;
    start(): void {
      this.state = 'notify';
      this.emit('connected');
    }
    async stop(): Promise<void> {
      this.removeAllListeners();
    }
  })();

  private check(op: string, n: number, acks?: number): void {
    if (this.down) throw Object.assign(new Error(`connect ECONNREFUSED (${op})`), { code: 'ECONNREFUSED' });
    this.calls.push({ op, n, ...(acks === undefined ? {} : { acks }) });
  }

  count(op: string): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  async migrate(): Promise<number[]> {
    this.check('migrate', 0);
    return [];
  }

  async enqueue(tasks: NewTask[]): Promise<string[]> {
    this.check('enqueue', tasks.length);
    const ids = tasks.map((t) => {
      const id = String(this.nextId++);
      this.rows.set(id, {
        id,
        type: t.type,
        dataJson: JSON.stringify(t.data ?? null),
        postback: t.postback ?? null,
        attempts: 0,
        maxAttempts: t.maxAttempts ?? 3,
        state: 'available',
        claimedBy: null,
        createdAt: Date.now(),
        resumeType: null,
        resumeDataJson: null,
        lastError: null,
      });
      return id;
    });
    for (const type of new Set(tasks.map((t) => t.type))) this.wake.emit('notify', type);
    return ids;
  }

  async claim(droneId: string, wants: ClaimRequest[], _leaseMs: number, ackIds: string[] = []): Promise<ClaimedTask[]> {
    this.check(
      'claim',
      wants.reduce((n, w) => n + w.limit, 0),
      ackIds.length,
    );
    this.ack(droneId, ackIds);
    const out: ClaimedTask[] = [];
    for (const w of wants) {
      let n = 0;
      for (const r of this.rows.values()) {
        if (n >= w.limit) break;
        if (r.type !== w.type || r.state !== 'available') continue;
        Object.assign(r, { state: 'claimed', claimedBy: droneId, attempts: r.attempts + 1 });
        out.push({
          id: r.id,
          type: r.type,
          dataJson: r.dataJson,
          postback: r.postback,
          attempt: r.attempts,
          maxAttempts: r.maxAttempts,
          priority: 0,
          createdAt: r.createdAt,
          resumeType: r.resumeType,
          resumeDataJson: r.resumeDataJson,
        });
        n++;
      }
    }
    await this.claimInFlight?.();
    return out;
  }

  private ack(droneId: string, ids: string[]): void {
    for (const id of ids) {
      const r = this.rows.get(id);
      if (r?.state !== 'claimed' || r.claimedBy !== droneId) continue;
      this.rows.delete(id);
      this.done.push(id);
    }
  }

  async complete(droneId: string, done: Completion[]): Promise<unknown> {
    this.check('complete', done.length);
    this.ack(
      droneId,
      done.map((d) => d.id),
    );
    return {};
  }

  async fail(droneId: string, failures: Failure[]): Promise<unknown> {
    this.check('fail', failures.length);
    for (const f of failures) {
      const r = this.rows.get(f.id);
      if (r?.state !== 'claimed' || r.claimedBy !== droneId) continue;
      Object.assign(r, { state: r.attempts >= r.maxAttempts || f.final ? 'failed' : 'available', claimedBy: null, lastError: f.error });
      if (f.resumeType != null) Object.assign(r, { resumeType: f.resumeType, resumeDataJson: f.resumeDataJson ?? 'null' });
    }
    return {};
  }

  async release(droneId: string, ids: string[], resumeAt: ResumePoint[] = []): Promise<number> {
    this.check('release', ids.length);
    let n = 0;
    for (const id of ids) {
      const r = this.rows.get(id);
      if (r?.state !== 'claimed' || r.claimedBy !== droneId) continue;
      Object.assign(r, { state: 'available', claimedBy: null, attempts: r.attempts - 1 });
      const at = resumeAt.find((p) => p.id === id);
      if (at) Object.assign(r, { resumeType: at.resumeType, resumeDataJson: at.resumeDataJson });
      n++;
    }
    return n;
  }

  async releaseAllExcept(droneId: string, keep: string[]): Promise<number> {
    const others = [...this.rows.values()].filter((r) => r.claimedBy === droneId && !keep.includes(r.id)).map((r) => r.id);
    return this.release(droneId, others);
  }

  async reclaim(droneId: string, ids: string[]): Promise<Set<string>> {
    this.check('reclaim', ids.length);
    return new Set(ids.filter((id) => this.rows.get(id)?.claimedBy === droneId));
  }

  async heartbeat(_drone: DroneRow, _leaseMs: number, held: string[] = []): Promise<number> {
    this.check('heartbeat', held.length);
    return held.length;
  }
  async rescueExpired(): Promise<string[]> {
    this.check('rescueExpired', 0);
    return [];
  }
  async deregister(): Promise<void> {
    this.check('deregister', 0);
  }
  fileId(droneId: string): string {
    return droneId;
  }
  // Inspection is Postgres's (test/queue/pg-*.test.ts); the drone never calls it.
  async overview(): Promise<QueueTypeRow[]> {
    return [];
  }
  async countType() {
    return { available: 0, scheduled: 0, claimed: 0, failed: 0 };
  }
  async fleet(): Promise<FleetDrone[]> {
    return [];
  }
  async clock(): Promise<number> {
    return this.clockMs ?? Date.now();
  }
  async failureGroups(): Promise<FailureGroup[]> {
    return [];
  }
  async findTask(): Promise<GlobalTask | null> {
    return null;
  }
  async postbacksOf(): Promise<GlobalTask[]> {
    return [];
  }
  async browse(): Promise<{ tasks: GlobalTask[]; next: string | null }> {
    return { tasks: [], next: null };
  }
  async cancel(): Promise<string[]> {
    return [];
  }
  async runNow(): Promise<string[]> {
    return [];
  }
  async listFailed(): Promise<FailedTask[]> {
    return [];
  }
  async retryFailed(_sel: FailedSelection): Promise<string[]> {
    return [];
  }
  async deleteFailed(_sel: FailedSelection): Promise<string[]> {
    return [];
  }
  async takePostbacks(): Promise<Array<{ id: string; dataJson: string; traceId: string | null }>> {
    return [];
  }
  async progress(): Promise<TaskProgress> {
    return { served: 0, now: Date.now(), tasks: [] };
  }
  wakeups(): Wakeups {
    return this.wake;
  }
  async close(): Promise<void> {}
}
