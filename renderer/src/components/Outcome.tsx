interface Props {
  /** What was done. */
  message?: string | null;
  /** What went wrong. */
  error?: string | null;
  small?: boolean;
  /** data-testid of the message. */
  testId?: string;
}

/** The answer to an action, or the reason a list could not be read: a status line, an alert, each when there is one. */
export function Outcome({ message, error, small, testId }: Props) {
  const size = small ? ' small-text' : '';
  return (
    <>
      {message && (
        <p className={`ok-text${size}`} role="status" data-testid={testId}>
          {message}
        </p>
      )}
      {error && (
        <p className={`error-text${size}`} role="alert">
          {error}
        </p>
      )}
    </>
  );
}
