import { useEffect, useRef, useState } from 'react';

interface Props {
  label: string;
  /** What will happen, asked before doing it. */
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  danger?: boolean;
  testId?: string;
}

/** A destructive or bulk action in two steps: the button, then an inline "are you sure?". */
export function ConfirmButton({ label, question, confirmLabel, onConfirm, disabled, danger, testId }: Props) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);

  if (!asking) {
    return (
      <button type="button" className={danger ? 'btn danger' : 'btn'} disabled={disabled} onClick={() => setAsking(true)} data-testid={testId}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm-question">{question}</span>
      <button
        type="button"
        ref={confirmRef}
        className={danger ? 'btn danger' : 'btn primary'}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
        data-testid={testId ? `${testId}-confirm` : undefined}
      >
        {confirmLabel}
      </button>
      <button type="button" className="btn" onClick={() => setAsking(false)} data-testid={testId ? `${testId}-cancel` : undefined}>
        Cancel
      </button>
    </span>
  );
}
