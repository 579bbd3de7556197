import type { PipelineEdge } from '../api/contract.js';
import { RateMeter } from './rates.js';

const LATENCIES = 200;
const RATE_SECONDS = 10;
/** Edges kept at most (the oldest seen goes first): the graph stays bounded whatever the postback names. */
const MAX_EDGES = 1000;

/** The unique postback type of a request (SwarmageClient.request: send and wait), as core/client.ts makes it. */
const REPLY = /^postback-.+-\d+-\d+-[0-9a-f]{8}$/;

/**
 * The `to` of a postback edge: the postback type, except that every request's unique reply type
 * counts as one, "(reply)" (else each "send and wait" would add an edge of its own).
 */
export function postbackTarget(postback: string): string {
  return REPLY.test(postback) ? '(reply)' : postback;
}

class Edge {
  count = 0;
  readonly rate = new RateMeter(RATE_SECONDS);
  /** The last LATENCIES latencies, a ring. */
  private readonly latencies = new Float64Array(LATENCIES);
  private seen = 0;

  constructor(
    readonly id: string,
    readonly kind: PipelineEdge['kind'],
    readonly from: string,
    readonly to: string,
  ) {}

  latency(ms: number): void {
    this.latencies[this.seen++ % LATENCIES] = Math.max(0, ms);
  }

  median(): number | null {
    const n = Math.min(this.seen, LATENCIES);
    if (n === 0) return null;
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}

/**
 * The edges of the live pipeline graph, observed in this drone since it started: counters, a rate
 * and recent latencies in memory (nothing per task in SQL). Ids: "claim:TYPE" (global queue → a
 * type), "local:FROM>TO" (a `local:` hop), "postback:FROM>TO" (a chain's result posted back).
 */
export class EdgeMeter {
  private readonly edges = new Map<string, Edge>();

  private edge(kind: PipelineEdge['kind'], from: string, to: string): Edge {
    const id = kind === 'claim' ? `claim:${to}` : `${kind}:${from}>${to}`;
    let e = this.edges.get(id);
    if (!e) {
      if (this.edges.size >= MAX_EDGES) this.edges.delete(this.edges.keys().next().value!);
      this.edges.set(id, (e = new Edge(id, kind, from, to)));
    }
    return e;
  }

  /** `n` tasks of a type claimed from the global queue. */
  claimed(type: string, n: number, now = Date.now()): void {
    const e = this.edge('claim', 'global', type);
    e.count += n;
    e.rate.add(n, now);
  }

  /** A claimed task began running: its wait since it was created on the global queue. */
  claimLatency(type: string, ms: number): void {
    this.edge('claim', 'global', type).latency(ms);
  }

  /** A step that a `local:` hop from `from` created finished; waitMs: from its queueing to its start. */
  hop(from: string, to: string, waitMs: number | null, now = Date.now()): void {
    const e = this.edge('local', from, to);
    e.count++;
    e.rate.add(1, now);
    if (waitMs !== null) e.latency(waitMs);
  }

  /** A chain that ended in `from` had its result posted back as a `postback` task; ms: from its end to the acknowledgement. */
  postback(from: string, postback: string, ms: number, now = Date.now()): void {
    const e = this.edge('postback', from, postbackTarget(postback));
    e.count++;
    e.rate.add(1, now);
    e.latency(ms);
  }

  snapshot(now = Date.now()): PipelineEdge[] {
    return [...this.edges.values()].map((e) => ({
      id: e.id,
      kind: e.kind,
      from: e.from,
      to: e.to,
      count: e.count,
      rate: e.rate.perSecond(5, now),
      latencyMs: e.median(),
    }));
  }
}
