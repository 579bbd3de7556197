/**
 * The live pipeline graph as data: nodes (the global queue and each task type) and edges (observed
 * claims, `local:` hops and postbacks) with their numbers and a status, and a left-to-right dagre
 * layout that only changes when the set of nodes or edges does. DOM-free, so it is tested in Node.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { PipelineEdge } from '../../../core/api/contract.js';
import type { TypeStats } from '../../../core/api/contract.js';
import { formatRate } from './format.js';

export const GLOBAL_NODE = 'global';
export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 104;
/** A type counts as failing for this long after its failed count last went up. */
export const FAILING_FOR_MS = 60_000;

export type NodeStatus = 'ok' | 'idle' | 'backpressure' | 'failing';

export interface GraphNode {
  id: string;
  kind: 'global' | 'type';
  label: string;
  stats: Pick<
    TypeStats,
    'buffered' | 'capacity' | 'running' | 'rate' | 'failed' | 'done' | 'instances' | 'flow' | 'claimSize' | 'prefetch' | 'serviceRate'
  > | null;
  status: NodeStatus;
}

export interface GraphEdge {
  id: string;
  kind: PipelineEdge['kind'];
  source: string;
  target: string;
  /** For a postback: the type the result is posted to (the edge itself goes back to the global queue). */
  postbackTo: string | null;
  rate: number;
  count: number;
  latencyMs: number | null;
  failing: boolean;
}

export interface PipelineGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The node id of an edge end: "global" stays, a type is itself. */
function endpoint(name: string): string {
  return name === GLOBAL_NODE ? GLOBAL_NODE : name;
}

export function nodeStatus(t: Pick<TypeStats, 'buffered' | 'capacity' | 'running' | 'rate'>, lastFailureAt: number | undefined, now: number): NodeStatus {
  if (lastFailureAt !== undefined && now - lastFailureAt < FAILING_FOR_MS) return 'failing';
  if (t.capacity > 0 && t.buffered >= t.capacity) return 'backpressure';
  if (t.running === 0 && t.buffered === 0 && t.rate === 0) return 'idle';
  return 'ok';
}

/**
 * Builds the graph from the snapshot's types and edges. `lastFailureAt` is when each type's failed
 * count last went up (kept by the store, since the snapshot only has totals).
 */
export function buildGraph(
  types: readonly TypeStats[],
  edges: readonly PipelineEdge[],
  lastFailureAt: Readonly<Record<string, number>>,
  now: number,
): PipelineGraph {
  const nodes: GraphNode[] = [{ id: GLOBAL_NODE, kind: 'global', label: 'Global queue', stats: null, status: 'ok' }];
  const known = new Set<string>([GLOBAL_NODE]);
  for (const t of types) {
    nodes.push({ id: t.type, kind: 'type', label: t.type, stats: t, status: nodeStatus(t, lastFailureAt[t.type], now) });
    known.add(t.type);
  }
  const failing = new Set(nodes.filter((n) => n.status === 'failing').map((n) => n.id));
  const out: GraphEdge[] = [];
  for (const e of edges) {
    const postback = e.kind === 'postback';
    const source = endpoint(e.from);
    // A postback goes back to the global queue, whichever type it is for.
    const target = postback ? GLOBAL_NODE : endpoint(e.to);
    // An edge seen before a config change may name a type this drone no longer serves: show the type anyway.
    for (const id of [source, target]) {
      if (known.has(id)) continue;
      known.add(id);
      nodes.push({ id, kind: 'type', label: id, stats: null, status: 'idle' });
    }
    out.push({
      id: e.id,
      kind: e.kind,
      source,
      target,
      postbackTo: postback ? e.to : null,
      rate: e.rate,
      count: e.count,
      latencyMs: e.latencyMs,
      failing: !postback && failing.has(target),
    });
  }
  return { nodes, edges: out };
}

/** Changes only when a node or an edge appears or goes: the layout is recomputed only then. */
export function layoutKey(graph: PipelineGraph): string {
  const nodes = graph.nodes.map((n) => n.id).sort();
  const edges = graph.edges.map((e) => `${e.source}>${e.target}`).sort();
  return JSON.stringify([nodes, edges]);
}

export type Positions = Record<string, { x: number; y: number }>;

/**
 * Left to right with dagre. Postbacks (edges back to the global queue) are left out of the layout so
 * the chain reads from the queue to the right; they are drawn underneath, back to the queue.
 */
export function layoutGraph(graph: PipelineGraph): Positions {
  const g = new Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 170, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of graph.edges) {
    if (e.target === GLOBAL_NODE || e.source === e.target) continue;
    g.setEdge(e.source, e.target);
  }
  layout(g);
  const positions: Positions = {};
  for (const id of g.nodes()) {
    const n = g.node(id);
    // dagre gives centres; React Flow places nodes by their top-left corner.
    positions[id] = { x: Math.round(n.x - NODE_WIDTH / 2), y: Math.round(n.y - NODE_HEIGHT / 2) };
  }
  return positions;
}

/** "12/s · 35 ms", the edge's label. */
export function edgeLabel(rate: number, latencyMs: number | null): string {
  return `${formatRate(rate)}/s · ${latencyMs === null ? '—' : formatLatency(latencyMs)}`;
}

export function formatLatency(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Keeps, per type, when its failed count last went up. A lower count than before (the drone
 * restarted and counts from zero) is not a failure.
 */
export function trackFailures(
  prevFailed: Readonly<Record<string, number>>,
  lastFailureAt: Readonly<Record<string, number>>,
  types: readonly Pick<TypeStats, 'type' | 'failed'>[],
  now: number,
): { failed: Record<string, number>; lastFailureAt: Record<string, number>; changed: boolean } {
  const failed: Record<string, number> = {};
  const at: Record<string, number> = { ...lastFailureAt };
  let changed = false;
  for (const t of types) {
    failed[t.type] = t.failed;
    const before = prevFailed[t.type];
    if (before !== undefined && t.failed > before) {
      at[t.type] = now;
      changed = true;
    }
  }
  return { failed, lastFailureAt: at, changed };
}
