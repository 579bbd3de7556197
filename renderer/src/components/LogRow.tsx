import { memo } from 'react';
import type { LogLine } from '../../../core/api/contract.js';
import { formatClock } from '../lib/format.js';

interface Props {
  line: LogLine;
  top: number;
  selected: boolean;
  onSelect: (line: LogLine) => void;
}

/** One line of the virtual list: fixed height, first line of the message only (details show the rest). */
export const LogRow = memo(function LogRow({ line, top, selected, onSelect }: Props) {
  const nl = line.msg.indexOf('\n');
  const msg = nl < 0 ? line.msg : line.msg.slice(0, nl);
  return (
    <div
      className={`log-row lvl-${line.level}${selected ? ' selected' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      onClick={() => onSelect(line)}
      data-testid="log-line"
      data-level={line.level}
      aria-current={selected || undefined}
    >
      <span className="log-time">{formatClock(line.time)}</span>
      <span className={`log-level lvl-${line.level}`}>{line.level}</span>
      <span className="log-worker" title={line.worker}>
        {line.worker ?? ''}
      </span>
      <span className="log-task">{line.task ?? ''}</span>
      <span className="log-msg">
        {msg}
        {nl >= 0 && <span className="muted"> …</span>}
      </span>
    </div>
  );
});
