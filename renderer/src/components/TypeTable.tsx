import { describeFlow, type TypeStats } from '../../../core/api/contract.js';
import { formatRate } from '../lib/format.js';
import { useApp } from '../hooks/useApp.js';
import { Bar } from './Bar.js';
import { Sparkline } from './Sparkline.js';

/** One row per task type the drone serves. */
export function TypeTable({ types }: { types: TypeStats[] }) {
  return (
    <table className="table types-table">
      <thead>
        <tr>
          <th scope="col">Task type</th>
          <th scope="col" className="num">
            Workers
          </th>
          <th scope="col">Buffered / target</th>
          <th scope="col" className="num">
            Claim
          </th>
          <th scope="col" className="num">
            Running
          </th>
          <th scope="col" className="num">
            Done
          </th>
          <th scope="col" className="num">
            Failed
          </th>
          <th scope="col" className="num">
            Rate /s
          </th>
          <th scope="col">Last 60 s</th>
        </tr>
      </thead>
      <tbody>
        {types.map((t) => (
          <TypeRow key={t.type} t={t} />
        ))}
      </tbody>
    </table>
  );
}

function TypeRow({ t }: { t: TypeStats }) {
  const series = useApp((s) => s.series[t.type]);
  return (
    <tr data-testid={`type-row-${t.type}`}>
      <th scope="row" className="mono">
        {t.type}
      </th>
      <td className="num">{t.instances}</td>
      <td title={describeFlow(t)}>
        <Bar value={t.buffered} max={t.capacity} label={`${t.type} buffered`} testId={`buffered-${t.type}`} />
      </td>
      <td className="num" title={describeFlow(t)} data-testid={`claim-${t.type}`}>
        {t.claimSize}
        <span className="muted small-text" data-testid={`flow-${t.type}`}>
          {' '}
          {t.flow}
        </span>
      </td>
      <td className="num">{t.running}</td>
      <td className="num" data-testid={`done-${t.type}`}>
        {t.done}
      </td>
      <td className={t.failed > 0 ? 'num bad-text' : 'num'} data-testid={`failed-${t.type}`}>
        {t.failed}
      </td>
      <td className="num" data-testid={`rate-${t.type}`}>
        {formatRate(t.rate)}
      </td>
      <td>
        <Sparkline values={series?.history ?? t.history} label={`${t.type} finished per second`} />
      </td>
    </tr>
  );
}
