import type { TypeStats } from '../api/types.js';

/**
 * How a type's buffer is sized, for people (the Overview's and the Pipeline's tooltips): what the
 * flow controller decided and from what, or that maxPerWorker fixes it.
 */
export function describeFlow(t: Pick<TypeStats, 'flow' | 'capacity' | 'claimSize' | 'prefetch' | 'serviceRate' | 'instances'>): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const claim = t.claimSize > 0 ? `; last claim asked for ${n(t.claimSize)}` : '; nothing claimed yet';
  if (t.flow === 'fixed') return `buffer fixed at ${n(t.capacity)} (maxPerWorker × ${t.instances} instance(s))${claim}`;
  const rate = t.serviceRate === null ? 'not measured yet' : `${n(t.serviceRate)} tasks/s while busy`;
  const ahead = t.prefetch === null ? '' : `; ${n(t.prefetch)} handed to each worker ahead`;
  return `buffer target ${n(t.capacity)}, sized from what the workers do (${rate})${claim}${ahead}`;
}
