/** Order statistics for the samples of one system (and for latencies within a sample). */

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  mean: number;
}

function sorted(values: number[]): number[] {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/**
 * The p-th percentile (0–100), linear interpolation between the closest ranks (the method of
 * numpy's default and of Excel's PERCENTILE.INC). NaN for no values.
 */
export function percentile(values: number[], p: number): number {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export const median = (values: number[]): number => percentile(values, 50);

export function summarize(values: number[]): Summary {
  const s = sorted(values);
  return {
    n: s.length,
    median: percentile(s, 50),
    min: s.length ? s[0] : NaN,
    max: s.length ? s[s.length - 1] : NaN,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
  };
}

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentiles(values: number[]): Percentiles {
  const s = summarize(values);
  return { n: s.n, p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99), max: s.max, mean: s.mean };
}

/**
 * Ratios taken within each round: a[r] ÷ b[r] for the rounds both have, then summarised — so a
 * slow round (the machine busy with something else) weighs on both sides alike.
 */
export function roundRatios(a: Map<number, number>, b: Map<number, number>): Summary & { perRound: number[] } {
  const perRound: number[] = [];
  for (const [round, x] of a) {
    const y = b.get(round);
    if (y !== undefined && Number.isFinite(x) && Number.isFinite(y) && y !== 0) perRound.push(x / y);
  }
  return { ...summarize(perRound), perRound };
}

/** Rounds to a few significant digits, for JSON that stays readable. */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const d = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Number(x.toFixed(Math.min(d, 6)));
}
