import type { DelayUnit, ScheduleFields as Fields } from '../lib/schedule.js';

/** "Run": now, after a delay (seconds, minutes or hours), or at a local date and time. */
export function ScheduleFields({ value, onChange, invalid }: { value: Fields; onChange: (f: Fields) => void; invalid: boolean }) {
  const set = (patch: Partial<Fields>) => onChange({ ...value, ...patch });
  return (
    <div className="row schedule">
      <label className="field">
        <span>Run</span>
        <select value={value.mode} onChange={(e) => set({ mode: e.target.value as Fields['mode'] })} data-testid="enqueue-run-mode">
          <option value="now">now</option>
          <option value="delay">after a delay</option>
          <option value="at">at a time</option>
        </select>
      </label>
      {value.mode === 'delay' && (
        <>
          <label className="field">
            <span>Delay</span>
            <input
              type="number"
              min={0}
              step="any"
              value={value.delay}
              onChange={(e) => set({ delay: e.target.value })}
              aria-invalid={invalid}
              className="narrow"
              data-testid="enqueue-delay"
            />
          </label>
          <label className="field">
            <span>Unit</span>
            <select value={value.unit} onChange={(e) => set({ unit: e.target.value as DelayUnit })} data-testid="enqueue-delay-unit">
              <option value="s">seconds</option>
              <option value="m">minutes</option>
              <option value="h">hours</option>
            </select>
          </label>
        </>
      )}
      {value.mode === 'at' && (
        <label className="field">
          <span>Run at (local time)</span>
          <input
            type="datetime-local"
            step={1}
            value={value.at}
            onChange={(e) => set({ at: e.target.value })}
            aria-invalid={invalid}
            data-testid="enqueue-run-at"
          />
        </label>
      )}
    </div>
  );
}
