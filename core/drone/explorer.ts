import type { DebugSession, TaskRow, Trace } from '../api/types.js';
import type { DataCondition } from '../queue/local/types.js';
import type { DroneLocalQueue } from '../queue/local/droneLocalQueue.js';
import type { InspectorAddress } from '../workers/types.js';
import { buildTrace, chainOnEdge, edgeProblem, taskRow, type RunningLookup } from './traces.js';
import { schemaProblem } from './schemas.js';
import type { DroneContext } from './ports.js';

/** The task explorer's query (see 'tasks.search' in core/api/contract.ts). */
export interface TaskSearch {
  type?: string;
  state?: TaskRow['state'];
  edge?: string;
  from?: number;
  to?: number;
  where?: DataCondition;
  before?: number;
  limit: number;
}

/**
 * What one trace answer carries of its steps' texts: each input, output, error and stack at most
 * 256 KiB, all of them together at most 2 MiB (then previews), and at most 1000 log lines (each
 * at most 4 KiB already). A client asking for many traces of 1 MiB steps then holds MiBs, not GiBs.
 */
const TRACE_LIMITS = { fieldChars: 256 * 1024, totalChars: 2 * 1024 * 1024 };
const TRACE_MAX_LOG_LINES = 1000;
/**
 * The task explorer examines at most this many steps per call (newest first), in windows of
 * SEARCH_WINDOW each an asynchronous call to the local queue's thread; a search that did not get
 * through the history answers with `next` to go on from.
 */
const SEARCH_SCAN_STEPS = 5000;
const SEARCH_WINDOW = 1000;

/**
 * The pipeline debugger's questions to one drone: traces, the task explorer, replays, "debug this
 * type" and payload schemas. Reads go to the local queue's history; nothing here is on the hot path.
 */
export class DroneExplorer {
  /** When a step a worker holds began running (see RunningLookup). */
  private readonly running: RunningLookup = (s) => this.drone.pool.startedAt(s.type, s.id);

  constructor(private readonly drone: DroneContext) {}

  private local(): DroneLocalQueue {
    if (!this.drone.local) throw new Error('the drone is not running');
    return this.drone.local;
  }

  /**
   * Every step of one global task kept in this drone's local queue, with its logs; null when none
   * is. Texts are cut to TRACE_LIMITS, each with a marker saying how much (replays use the stored
   * data, not what a trace shows).
   */
  async trace(traceId: string): Promise<Trace | null> {
    const local = this.local();
    const rows = await local.trace(traceId, TRACE_LIMITS);
    if (rows.length === 0) return null;
    const root = rows.find((r) => r.parentId === null) ?? rows[0];
    const [logs, replays] = await Promise.all([
      local.logsOf(
        rows.map((r) => r.id),
        TRACE_MAX_LOG_LINES,
      ),
      local.replaysOf(traceId),
    ]);
    const schema = this.drone.pool.schema(root.type);
    // The schema is checked against the whole data, which a cut input is not (at most 1 MiB, one step).
    const data = schema === null ? root.dataJson : ((await local.stepAsync(root.id))?.dataJson ?? root.dataJson);
    return buildTrace(traceId, rows, logs, this.running, replays, schemaProblem(schema, data));
  }

  /** The tasks of this drone that carried the result of task `traceId` (its postbacks). */
  async answeredBy(traceId: string): Promise<string[]> {
    return this.local().answeredBy(traceId);
  }

  /**
   * The task explorer: chains of this drone by their first step, newest first. Type, time and the
   * JSON condition are SQL on the first step; state and edge are checked on the chain here. One
   * call examines at most SEARCH_SCAN_STEPS steps, in windows that are each an asynchronous call to
   * the local queue's thread (the drone's thread goes on meanwhile); `next` says where to go on.
   */
  async searchTasks(q: TaskSearch): Promise<{ rows: TaskRow[]; next: number | null }> {
    const local = this.local();
    if (q.edge !== undefined) {
      const problem = edgeProblem(q.edge);
      if (problem) throw new Error(problem);
    }
    const byChain = q.state !== undefined || q.edge !== undefined;
    const chunk = byChain ? Math.max(200, q.limit * 4) : q.limit;
    const rows: TaskRow[] = [];
    let before = q.before;
    let scanned = 0;
    while (scanned < SEARCH_SCAN_STEPS) {
      const top = before;
      const { found, more } = await local.searchRoots({ type: q.type, from: q.from, to: q.to, where: q.where, before, scan: SEARCH_WINDOW, limit: chunk });
      for (const { root, chain } of found) {
        if (q.edge !== undefined && !chainOnEdge(q.edge, root, chain)) continue;
        const row = taskRow(root, chain, this.running);
        if (q.state !== undefined && row.state !== q.state) continue;
        rows.push(row);
        if (rows.length === q.limit) return { rows, next: row.stepId };
      }
      if (found.length === chunk) before = found[found.length - 1].root.id;
      else if (more !== null) before = more;
      else return { rows, next: null };
      // A full chunk may end inside the window: count what the window covered down to where it goes on.
      scanned += top === undefined ? SEARCH_WINDOW : Math.min(SEARCH_WINDOW, top - before);
    }
    return { rows, next: before ?? null };
  }

  /**
   * Enqueues a recorded step again as a new global task of its type, with its recorded input or
   * `data`, the same postback as the task it belongs to, linked to it ("traceId:stepId").
   */
  async replay(stepId: number, data?: unknown): Promise<{ id: string }> {
    const { pool, queue, log } = this.drone;
    const local = this.local();
    const step = local.step(stepId);
    if (!step) throw new Error(`stepId: no step ${stepId} in this drone's local queue (never here, or no longer kept)`);
    if (!pool.serves(step.type)) throw new Error(`stepId: step ${stepId} is of type ${JSON.stringify(step.type)}, which this drone has no worker for any more`);
    const root = step.parentId === null ? step : ((await local.trace(step.rootId, TRACE_LIMITS)).find((r) => r.parentId === null) ?? step);
    const [id] = await queue.enqueue([
      {
        type: step.type,
        data: data === undefined ? JSON.parse(step.dataJson) : data,
        postback: root.postback,
        replayOf: `${step.rootId}:${step.id}`,
      },
    ]);
    local.addReplay(id, step.rootId, step.id);
    log.info(`replaying step ${step.id} (${step.type}) of task ${step.rootId} as task ${id}${data === undefined ? '' : ', with edited data'}`, {
      task: id,
      type: step.type,
    });
    return { id };
  }

  /**
   * "Debug this type": a worker instance with the Node inspector on loopback gets the next task of
   * it. The session's ws:// URL is the inspector's only key (it publishes no /json/list): it goes to
   * whoever may call the API, and nowhere else.
   */
  async debug(type: string): Promise<DebugSession> {
    const { instance, inspector, taskId } = await this.drone.pool.debug(type);
    this.drone.changed();
    return debugSession(type, instance, inspector, taskId);
  }

  async undebug(type: string): Promise<void> {
    await this.drone.pool.undebug(type, this.drone.config.shutdownGraceMs);
    this.drone.changed();
  }

  /** The open debug session of a type, or null. */
  debugSession(type: string): DebugSession | null {
    const d = this.drone.pool.debugInfo(type);
    return d?.inspector ? debugSession(type, d.instance, d.inspector, d.taskId) : null;
  }

  /** The payload schema a type's worker module exports, or null. */
  schema(type: string): unknown {
    const { pool } = this.drone;
    if (!pool.serves(type)) throw new Error(`type: this drone has no worker for ${JSON.stringify(type)}; it has ${pool.types().join(', ') || 'none'}`);
    return pool.schema(type);
  }
}

/** The API's view of a debug session, with the DevTools address that opens it. */
export function debugSession(type: string, instance: string, a: InspectorAddress, taskId: string | null): DebugSession {
  const ws = a.webSocketUrl.slice('ws://'.length);
  return {
    type,
    instance,
    host: a.host,
    port: a.port,
    webSocketUrl: a.webSocketUrl,
    devtoolsUrl: `devtools://devtools/bundled/js_app.html?ws=${ws}`,
    taskId,
  };
}
