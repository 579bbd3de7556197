import { useEffect, useState, type ReactNode } from 'react';

const TASK_ID = /^[0-9]{1,19}$/;

interface Props {
  label: string;
  submitLabel: string;
  /** The id on screen now: the field follows it. */
  current: string | null;
  onSubmit: (id: string) => void;
  className?: string;
  /** data-testid of the field and of the button. */
  testId: string;
  submitTestId: string;
  /** More controls after the button. */
  children?: ReactNode;
}

/** A task id typed in (digits only, said at once when not), to open in a view. */
export function TaskIdForm({ label, submitLabel, current, onSubmit, className = 'row', testId, submitTestId, children }: Props) {
  const [text, setText] = useState(current ?? '');
  useEffect(() => setText(current ?? ''), [current]);
  const ok = TASK_ID.test(text.trim());
  return (
    <form
      className={className}
      onSubmit={(e) => {
        e.preventDefault();
        if (ok) onSubmit(text.trim());
      }}
    >
      <label className="field">
        <span>{label}</span>
        <input
          type="text"
          inputMode="numeric"
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={text !== '' && !ok}
          placeholder="e.g. 1234"
          spellCheck={false}
          data-testid={testId}
        />
      </label>
      <button type="submit" className="btn" disabled={!ok} data-testid={submitTestId}>
        {submitLabel}
      </button>
      {children}
      {text !== '' && !ok && <span className="error-text small-text">A task id is digits only.</span>}
    </form>
  );
}
