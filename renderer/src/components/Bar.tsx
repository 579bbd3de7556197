import { fraction } from '../lib/format.js';

/**
 * A fill bar. The width is set through React's style prop, which goes through CSSOM and is allowed
 * by the CSP (style-src 'self'), unlike a style="" attribute in markup.
 */
export function Bar({ value, max, label, testId }: { value: number; max: number; label: string; testId?: string }) {
  const f = fraction(value, max);
  const level = f >= 0.95 ? 'full' : f >= 0.7 ? 'high' : 'normal';
  return (
    <div className="bar-wrap">
      <div className="bar" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value}>
        <div className={`bar-fill bar-${level}`} style={{ width: `${(f * 100).toFixed(1)}%` }} />
      </div>
      <span className="bar-text num" data-testid={testId}>{`${value} / ${max}`}</span>
    </div>
  );
}
