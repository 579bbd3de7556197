import type { Trace } from '../../../core/api/contract.js';
import { formatDuration } from '../lib/format.js';
import { buildWaterfall, percentAt, segmentLabel } from '../lib/waterfall.js';

/** Per step, bars for waiting (global queue, local buffer) and running, on one time axis. */
export function Waterfall({ trace, now, onPick }: { trace: Trace; now: number; onPick: (stepId: number) => void }) {
  const w = buildWaterfall(trace, now);
  const span = w.end - w.start;
  return (
    <div className="waterfall" data-testid="waterfall">
      <div className="wf-row wf-axis" aria-hidden="true">
        <span className="wf-name" />
        <div className="wf-track">
          {w.ticks.map((t) => (
            <span key={t} className="wf-tick" style={{ left: `${percentAt(w, w.start + t)}%` }}>
              {formatDuration(t)}
            </span>
          ))}
        </div>
        <span className="wf-total" />
      </div>
      {w.rows.map(({ step, segments }, i) => {
        const end = segments[segments.length - 1]?.end ?? step.queuedAt;
        return (
          <div key={step.stepId} className={`wf-row wf-state-${step.state}`} data-testid={`wf-step-${i + 1}`}>
            <button type="button" className="wf-name btn link bare mono" onClick={() => onPick(step.stepId)} title={`step ${step.stepId}`}>
              {i + 1}. {step.type}
            </button>
            <div className="wf-track">
              {segments.map((seg) => (
                <span
                  key={seg.kind}
                  className={`wf-bar wf-${seg.kind}${seg.open ? ' wf-open' : ''}${seg.kind === 'running' && step.state === 'failed' ? ' wf-failed' : ''}`}
                  style={{ left: `${percentAt(w, seg.start)}%`, width: `${Math.max(0.4, percentAt(w, seg.end) - percentAt(w, seg.start))}%` }}
                  title={`${segmentLabel(seg.kind)}: ${formatDuration(seg.end - seg.start)}${seg.open ? ' so far' : ''}`}
                  data-testid={`wf-${seg.kind}-${i + 1}`}
                />
              ))}
            </div>
            <span className="wf-total num small-text">{formatDuration(end - (i === 0 ? trace.createdAt : step.queuedAt))}</span>
          </div>
        );
      })}
      <div className="wf-legend small-text">
        <span className="legend-item wf-global">waiting on the global queue</span>
        <span className="legend-item wf-buffer">waiting in the local buffer</span>
        <span className="legend-item wf-running">running</span>
        {w.rows.some((r) => r.segments.some((x) => x.kind === 'unsplit')) && (
          <span className="legend-item wf-unsplit">waiting + running (start not recorded)</span>
        )}
        <span className="muted">whole trace {formatDuration(span)}</span>
      </div>
    </div>
  );
}
