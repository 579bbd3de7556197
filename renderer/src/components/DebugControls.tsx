import { useEffect } from 'react';
import type { DebugSession } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useAction } from '../hooks/useAction.js';
import { appStore, useApp } from '../hooks/useApp.js';

const WAIT_FOR_ADDRESS_MS = 500;

/**
 * "Debug this type": the next task of the type goes to an instance started with the Node inspector
 * on loopback. Shows the address to attach Chrome DevTools or VS Code, and stops the session.
 */
export function DebugControls({ type }: { type: string }) {
  const session = useApp((s) => s.debugSessions[type] ?? null);
  const [start, starting] = useAction(async () => appStore.getState().setDebugSession(type, await call('workers.debug', { type })));
  const [stop, stopping] = useAction(async () => {
    await call('workers.undebug', { type });
    appStore.getState().setDebugSession(type, null);
  });

  // The inspector may not be listening yet: asking again returns the same session, with its address once known.
  const waiting = session !== null && session.webSocketUrl === null;
  useEffect(() => {
    if (!waiting) return;
    const t = window.setTimeout(() => void start(), WAIT_FOR_ADDRESS_MS);
    return () => window.clearTimeout(t);
  }, [waiting, session, start]);

  const error = starting.error ?? stopping.error;
  return (
    <div className="debug-controls" data-testid={`debug-${type}`}>
      {!session ? (
        <button
          type="button"
          className="btn small"
          disabled={starting.pending}
          onClick={() => void start()}
          data-testid={`debug-start-${type}`}
          title="The next task of this type runs in a new instance with the Node inspector"
        >
          {starting.pending ? 'Starting…' : 'Debug this type'}
        </button>
      ) : (
        <DebugAddress session={session} stopping={stopping.pending} onStop={() => void stop()} />
      )}
      {error && (
        <div className="error-text" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

function DebugAddress({ session, stopping, onStop }: { session: DebugSession; stopping: boolean; onStop: () => void }) {
  return (
    <div className="debug-session">
      <p className="small-text">
        Instance <span className="mono">{session.instance}</span> waits with the inspector on{' '}
        <span className="mono" data-testid={`debug-port-${session.type}`}>
          {session.host}:{session.port}
        </span>
        {session.taskId ? (
          <>
            {' '}
            — holding task <span className="mono">{session.taskId}</span>
          </>
        ) : (
          ' — the next task of this type goes to it'
        )}
        .
      </p>
      {session.webSocketUrl ? (
        <>
          <CopyLine label="Inspector (VS Code: attach to this URL)" value={session.webSocketUrl} testId={`debug-ws-${session.type}`} />
          {session.devtoolsUrl && <CopyLine label="Chrome DevTools" value={session.devtoolsUrl} testId={`debug-devtools-${session.type}`} />}
          {/* The URL is the inspector's only key: it is not listed at /json/list, so discovery (chrome://inspect) finds nothing. */}
          <p className="muted small-text" data-testid={`debug-secret-${session.type}`}>
            Whoever has this URL can run code as the drone's user: it is shown only here, and the inspector lists no targets, so chrome://inspect will not find
            it by itself.
          </p>
        </>
      ) : (
        <p className="muted small-text">Waiting for the inspector to listen…</p>
      )}
      <div className="row-actions start">
        {session.devtoolsUrl && (
          <a className="btn small" href={session.devtoolsUrl} target="_blank" rel="noreferrer" data-testid={`debug-open-${session.type}`}>
            Open DevTools
          </a>
        )}
        <button type="button" className="btn small" disabled={stopping} onClick={onStop} data-testid={`debug-stop-${session.type}`}>
          Stop debugging
        </button>
      </div>
    </div>
  );
}

function CopyLine({ label, value, testId }: { label: string; value: string; testId: string }) {
  const [copy, copied] = useAction(() => navigator.clipboard.writeText(value).then(() => true));
  return (
    <div className="copy-line">
      <span className="muted small-text">{label}</span>
      <code className="mono" data-testid={testId}>
        {value}
      </code>
      <button type="button" className="btn small" onClick={() => void copy()} title="Copy to the clipboard">
        {copied.result ? 'Copied' : 'Copy'}
      </button>
      {copied.error && <span className="error-text small-text">Copy failed: select the text instead</span>}
    </div>
  );
}
