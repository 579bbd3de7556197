import { useMemo } from 'react';
import {
  BaseEdge,
  EdgeLabelRenderer,
  getBezierPath,
  getSmoothStepPath,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  type Edge,
  type EdgeProps,
  type Node,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { call } from '../api/droneApi.js';
import { appStore, useApp } from '../hooks/useApp.js';
import { useNow } from '../hooks/useNow.js';
import { usePoll } from '../hooks/usePoll.js';
import { describeFlow } from '../../../core/api/contract.js';
import { formatRate } from '../lib/format.js';
import {
  buildGraph,
  edgeLabel,
  formatLatency,
  GLOBAL_NODE,
  layoutGraph,
  layoutKey,
  type GraphEdge,
  type GraphNode,
  type PipelineGraph,
} from '../lib/pipeline.js';
import { DebugControls } from '../components/DebugControls.js';
import { EmptyState } from '../components/EmptyState.js';
import { TaskTable } from '../components/TaskTable.js';

type StageNode = Node<{ node: GraphNode }, 'stage'>;
type FlowEdge = Edge<{ edge: GraphEdge }, 'flow'>;

const RECENT_TASKS = 15;
const RECENT_REFRESH_MS = 2000;

export function PipelineView() {
  const drone = useApp((s) => s.snapshot?.drone ?? null);
  const lastFailureAt = useApp((s) => s.lastFailureAt);
  const selection = useApp((s) => s.pipelineSelection);
  // Failing fades after a minute even when no snapshot arrives.
  const now = useNow(5000);
  const graph = useMemo(() => (drone ? buildGraph(drone.types, drone.edges, lastFailureAt, now) : null), [drone, lastFailureAt, now]);
  if (!drone || !graph) return <EmptyState title="Waiting for the drone…" />;
  return (
    <div className="pipeline-layout">
      <section className="card pipeline-card" aria-labelledby="pipeline-title">
        <div className="card-head">
          <h2 id="pipeline-title">Pipeline</h2>
          <Legend />
        </div>
        <PipelineGraphView graph={graph} selectedId={selection?.id ?? null} />
        {graph.edges.length === 0 && (
          <p className="muted small-text">No tasks seen yet: edges appear as tasks flow (claims from the global queue, local: hops, postbacks).</p>
        )}
      </section>
      <SelectionPanel graph={graph} />
    </div>
  );
}

function Legend() {
  return (
    <span className="pipeline-legend small-text">
      <span className="legend-item st-ok">flowing</span>
      <span className="legend-item st-backpressure">back-pressure (buffer full)</span>
      <span className="legend-item st-failing">failing (last minute)</span>
    </span>
  );
}

const nodeTypes = { stage: StageNodeView };
const edgeTypes = { flow: FlowEdgeView };

function PipelineGraphView({ graph, selectedId }: { graph: PipelineGraph; selectedId: string | null }) {
  const key = layoutKey(graph);
  // Re-laid out only when a node or edge appears or goes, so the picture stays put while numbers move.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the structure on purpose: numbers moving must not move nodes
  const positions = useMemo(() => layoutGraph(graph), [key]);
  const nodes: StageNode[] = graph.nodes.map((n) => ({
    id: n.id,
    type: 'stage',
    position: positions[n.id] ?? { x: 0, y: 0 },
    data: { node: n },
    selected: n.id === selectedId,
    draggable: false,
    connectable: false,
  }));
  const edges: FlowEdge[] = graph.edges.map((e) => ({
    id: e.id,
    type: 'flow',
    source: e.source,
    target: e.target,
    sourceHandle: e.kind === 'postback' ? 'out-postback' : 'out',
    targetHandle: e.kind === 'postback' ? 'in-postback' : 'in',
    data: { edge: e },
    selected: e.id === selectedId,
    animated: e.rate > 0,
    markerEnd: { type: MarkerType.ArrowClosed, color: e.failing ? 'var(--bad)' : e.rate > 0 ? 'var(--ok)' : 'var(--muted)' },
    className: `edge-${e.kind}${e.failing ? ' edge-failing' : ''}${e.rate > 0 ? ' edge-active' : ''}`,
  }));
  return (
    <div className="pipeline-canvas" data-testid="pipeline-graph">
      <ReactFlow
        key={key}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        fitView
        fitViewOptions={{ padding: 0.15 }}
        minZoom={0.3}
        maxZoom={1.5}
        nodesConnectable={false}
        nodesDraggable={false}
        elementsSelectable
        onNodeClick={(_, n) => appStore.getState().selectInPipeline({ kind: 'node', id: n.id })}
        onEdgeClick={(_, e) => appStore.getState().selectInPipeline({ kind: 'edge', id: e.id })}
        onPaneClick={() => appStore.getState().selectInPipeline(null)}
        colorMode="system"
        proOptions={{ hideAttribution: true }}
      />
    </div>
  );
}

function StageNodeView({ data, selected }: NodeProps<StageNode>) {
  const n = data.node;
  const s = n.stats;
  return (
    <div className={`stage st-${n.status}${selected ? ' selected' : ''}${n.kind === 'global' ? ' stage-global' : ''}`} data-testid={`node-${n.id}`}>
      <Handle type="target" position={Position.Left} id="in" isConnectable={false} />
      <Handle type="source" position={Position.Right} id="out" isConnectable={false} />
      {n.kind === 'global' ? (
        <Handle type="target" position={Position.Bottom} id="in-postback" isConnectable={false} />
      ) : (
        <Handle type="source" position={Position.Bottom} id="out-postback" isConnectable={false} />
      )}
      <div className="stage-title mono">{n.label}</div>
      {n.kind === 'global' ? (
        <div className="stage-line muted">Postgres: claims in, postbacks back</div>
      ) : s ? (
        <>
          <div className="stage-line">
            <span className="muted">buffer</span> <span data-testid={`node-buffered-${n.id}`} title={describeFlow(s)}>{`${s.buffered} / ${s.capacity}`}</span>
            <span className="muted"> · claim</span> <span data-testid={`node-claim-${n.id}`}>{s.claimSize}</span>
            <span className="muted"> · running</span> <span data-testid={`node-running-${n.id}`}>{s.running}</span>
          </div>
          <div className="stage-line">
            <span data-testid={`node-rate-${n.id}`}>{formatRate(s.rate)}</span>
            <span className="muted">/s · failed</span>{' '}
            <span className={s.failed > 0 ? 'bad-text' : undefined} data-testid={`node-failed-${n.id}`}>
              {s.failed}
            </span>
          </div>
        </>
      ) : (
        <div className="stage-line muted">not served by this drone</div>
      )}
    </div>
  );
}

function FlowEdgeView({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, data, selected }: EdgeProps<FlowEdge>) {
  const e = data!.edge;
  const postback = e.kind === 'postback';
  const [path, labelX, labelY] = postback
    ? getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 14, offset: 30 })
    : getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} interactionWidth={18} />
      <EdgeLabelRenderer>
        <button
          type="button"
          className={`edge-label nodrag nopan${e.failing ? ' failing' : ''}${selected ? ' selected' : ''}`}
          // Placed through React's style prop (CSSOM), which the CSP allows.
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          onClick={() => appStore.getState().selectInPipeline({ kind: 'edge', id })}
          data-testid={`edge-${id}`}
          title={`${e.id}: ${e.count} so far`}
        >
          {postback && <span className="edge-kind">→ {e.postbackTo} </span>}
          <span data-testid={`edge-rate-${id}`}>{formatRate(e.rate)}</span>
          /s · {e.latencyMs === null ? '—' : formatLatency(e.latencyMs)}
        </button>
      </EdgeLabelRenderer>
    </>
  );
}

function SelectionPanel({ graph }: { graph: PipelineGraph }) {
  const selection = useApp((s) => s.pipelineSelection);
  const node = selection?.kind === 'node' ? graph.nodes.find((n) => n.id === selection.id) : undefined;
  const edge = selection?.kind === 'edge' ? graph.edges.find((e) => e.id === selection.id) : undefined;
  const filter = node ? (node.id === GLOBAL_NODE ? {} : { type: node.id }) : edge ? { edge: edge.id } : null;
  const recent = usePoll(filter ? JSON.stringify(filter) : null, () => call('tasks.search', { ...filter, limit: RECENT_TASKS }), RECENT_REFRESH_MS);

  if (!node && !edge) {
    return (
      <aside className="card pipeline-side" data-testid="pipeline-side">
        <p className="muted">Click a node or an edge to see its recent tasks.</p>
      </aside>
    );
  }
  return (
    <aside className="card pipeline-side" data-testid="pipeline-side" aria-labelledby="pipeline-side-title">
      <div className="card-head">
        <h3 id="pipeline-side-title" className="mono">
          {node ? node.label : edge!.id}
        </h3>
        <button type="button" className="btn small" onClick={() => appStore.getState().selectInPipeline(null)} aria-label="Close">
          ×
        </button>
      </div>
      {edge && (
        <p className="small-text">
          {edge.count} so far · {edgeLabel(edge.rate, edge.latencyMs)}
          {edge.latencyMs !== null && (
            <span className="muted">
              {' '}
              (median {edge.kind === 'local' ? 'wait in the local buffer' : edge.kind === 'claim' ? 'created → started' : 'to the postback'})
            </span>
          )}
        </p>
      )}
      {node?.stats && (
        <p className="small-text">
          {node.stats.instances} instance(s) · buffer {node.stats.buffered} / {node.stats.capacity} · done {node.stats.done} · failed {node.stats.failed}
        </p>
      )}
      {node?.stats && (
        <p className="small-text muted" data-testid="node-flow">
          {describeFlow(node.stats)}
        </p>
      )}
      {node && node.kind === 'type' && node.stats && <DebugControls type={node.id} />}
      <h4>Recent tasks</h4>
      {recent.error && (
        <p className="error-text" role="alert">
          {recent.error}
        </p>
      )}
      {recent.data && recent.data.rows.length === 0 && <p className="muted">None kept.</p>}
      {recent.data && recent.data.rows.length > 0 && <TaskTable rows={recent.data.rows} compact testId="pipeline-tasks" />}
      {!recent.data && !recent.error && <p className="muted">Loading…</p>}
    </aside>
  );
}
