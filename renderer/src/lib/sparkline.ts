/**
 * SVG polyline points for counts per second, oldest first, scaled to width × height (y grows down).
 * The scale's floor of 1 keeps a trickle of 0s and 1s from looking like a saturated line.
 */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const x = values.length > 1 ? i * step : width;
      const y = height - (Math.max(0, v) / max) * height;
      return `${round1(x)},${round1(y)}`;
    })
    .join(' ');
}

export function sparklineMax(values: readonly number[]): number {
  return values.length === 0 ? 0 : Math.max(0, ...values);
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
