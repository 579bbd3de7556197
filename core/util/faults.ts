/**
 * Crash points for the fault-injection suite. SWARMAGE_FAULTS="buffered:3" makes this process
 * SIGKILL itself the 3rd time it passes the point "buffered" (several: "claimed:2,acked:5").
 * Unset — always, outside that suite — each point is one comparison.
 */
export type FaultPoint =
  | 'claimed' // Postgres committed a claim; the local queue has not stored it yet
  | 'buffered' // the local queue stored a claimed batch
  | 'hopped' // a local: hop is recorded; the chain's next step has not run
  | 'recorded' // a chain's outcome is in the local outbox, not yet acknowledged in Postgres
  | 'acked'; // Postgres acknowledged a batch; the local queue still holds it

const plan: Map<string, number> | null = parse(process.env.SWARMAGE_FAULTS);

function parse(spec: string | undefined): Map<string, number> | null {
  if (!spec) return null;
  const m = new Map<string, number>();
  for (const part of spec.split(',')) {
    const [name, n] = part.split(':');
    m.set(name.trim(), Math.max(1, Number(n) || 1));
  }
  return m;
}

export function faultPoint(name: FaultPoint): void {
  if (plan === null) return;
  const left = plan.get(name);
  if (left === undefined) return;
  if (left > 1) {
    plan.set(name, left - 1);
    return;
  }
  process.stderr.write(`[fault:${process.pid}] killing myself at "${name}" (SWARMAGE_FAULTS)\n`);
  process.kill(process.pid, 'SIGKILL');
}
