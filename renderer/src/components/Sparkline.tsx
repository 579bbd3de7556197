import { sparklineMax, sparklinePoints } from '../lib/sparkline.js';

const W = 120;
const H = 24;

/** The last 60 s of finished tasks per second; the peak is in the tooltip. */
export function Sparkline({ values, label }: { values: readonly number[]; label: string }) {
  const points = sparklinePoints(values, W, H);
  const peak = sparklineMax(values);
  return (
    // The viewBox has a 2-unit margin so the stroke at the peak and at zero is not clipped.
    <svg className="sparkline" viewBox={`-2 -2 ${W + 4} ${H + 4}`} width={W} height={H} role="img" aria-label={`${label}: last 60 s, peak ${peak}/s`}>
      <title>{`last 60 s, peak ${peak}/s`}</title>
      {points && <polyline className="sparkline-line" points={points} fill="none" />}
    </svg>
  );
}
