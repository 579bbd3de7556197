import { useEffect, useMemo, useRef, useState } from 'react';
import type { Trace, TraceStep } from '../../../core/api/contract.js';
import { parseJson } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { appStore, useApp } from '../hooks/useApp.js';
import { useAction } from '../hooks/useAction.js';
import { useNow } from '../hooks/useNow.js';
import { usePoll } from '../hooks/usePoll.js';
import type { LineMark } from '../lib/editorLines.js';
import { errorWithStack, formatClock, formatDateTime, formatDuration, prettyJsonText as pretty } from '../lib/format.js';
import { traceOpen } from '../lib/waterfall.js';
import { EmptyState } from '../components/EmptyState.js';
import { JsonEditor } from '../components/JsonEditor.js';
import { TaskIdForm } from '../components/TaskIdForm.js';
import { Waterfall } from '../components/Waterfall.js';

const OPEN_REFRESH_MS = 1000;
const NEW_TASK_POLL_MS = 300;

export function TraceView() {
  const traceId = useApp((s) => s.traceId);
  return (
    <div className="view-stack">
      <TaskIdForm
        label="Trace (task id)"
        submitLabel="Open"
        current={traceId}
        onSubmit={(id) => appStore.getState().openTrace(id)}
        className="card trace-id-form row"
        testId="trace-id-input"
        submitTestId="trace-id-open"
      />
      {traceId ? (
        <TraceLoader traceId={traceId} />
      ) : (
        <EmptyState title="No trace chosen">Open one from Tasks or the Pipeline view, or type a task id above.</EmptyState>
      )}
    </div>
  );
}

function TraceLoader({ traceId }: { traceId: string }) {
  const [open, setOpen] = useState(true);
  // Re-read while something in the trace still moves; once everything has finished, once is enough.
  const t = usePoll(traceId, () => call('tasks.trace', { traceId }), open ? OPEN_REFRESH_MS : 0);
  useEffect(() => {
    if (t.data) setOpen(traceOpen(t.data));
  }, [t.data]);
  useEffect(() => setOpen(true), [traceId]);
  if (t.error) {
    return (
      <p className="error-text" role="alert" data-testid="trace-error">
        {t.error}
      </p>
    );
  }
  if (!t.data) {
    return (
      <EmptyState title={!t.loaded ? 'Loading…' : `No trace kept for task ${traceId}`} testId={t.loaded ? 'trace-missing' : undefined}>
        {t.loaded && <p>This drone keeps the steps of the tasks it ran for a bounded time (localQueue.history). It may have run elsewhere, or not yet.</p>}
      </EmptyState>
    );
  }
  return <TraceDetails trace={t.data} live={open} />;
}

function TraceDetails({ trace, live }: { trace: Trace; live: boolean }) {
  const now = useNow(500, live);
  const [picked, setPicked] = useState<number | null>(null);
  const last = trace.steps[trace.steps.length - 1];
  const result = last?.state === 'done' ? last.output : null;
  return (
    <>
      <section className="card" aria-labelledby="trace-title" data-testid="trace">
        <div className="card-head">
          <h2 id="trace-title">
            Trace{' '}
            <span className="mono" data-testid="trace-id">
              {trace.traceId}
            </span>
          </h2>
          <span className="muted small-text">
            created {formatDateTime(trace.createdAt)}
            {trace.postback && (
              <>
                {' '}
                · postback to <span className="mono">{trace.postback}</span> (
                <button type="button" className="btn link bare" onClick={() => appStore.getState().lookUp(trace.traceId)} data-testid="trace-follow-postback">
                  follow the chain
                </button>
                )
              </>
            )}
          </span>
        </div>
        {trace.answers && (
          <p className="small-text" data-testid="trace-answers">
            A postback: it carries the result of{' '}
            <button type="button" className="btn link bare mono" onClick={() => appStore.getState().lookUp(trace.answers!)}>
              task {trace.answers}
            </button>
          </p>
        )}
        {trace.replayOf && (
          <p className="small-text" data-testid="trace-replay-of">
            Replay of{' '}
            <button type="button" className="btn link bare mono" onClick={() => appStore.getState().openTrace(trace.replayOf!.traceId)}>
              task {trace.replayOf.traceId}
            </button>{' '}
            (step {trace.replayOf.stepId})
          </p>
        )}
        {trace.replays.length > 0 && (
          <p className="small-text" data-testid="trace-replays">
            Replayed as{' '}
            {trace.replays.map((id, i) => (
              <span key={id}>
                {i > 0 && ', '}
                <button type="button" className="btn link bare mono" onClick={() => appStore.getState().openTrace(id)} data-testid={`trace-replay-${id}`}>
                  {id}
                </button>
              </span>
            ))}
          </p>
        )}
        {trace.schemaProblem && (
          <p className="warn-box small-text" role="status" data-testid="trace-schema-problem">
            The task's data does not match its type's payload schema: {trace.schemaProblem}
          </p>
        )}
        <Waterfall trace={trace} now={now} onPick={(id) => setPicked(id)} />
        {result !== null && result !== undefined && (
          <p className="small-text">
            Result:{' '}
            <code className="mono" data-testid="trace-result">
              {result}
            </code>
          </p>
        )}
      </section>
      {trace.steps.map((s, i) => (
        <StepCard key={s.stepId} step={s} index={i} highlight={picked === s.stepId} />
      ))}
    </>
  );
}

function StepCard({ step, index, highlight }: { step: TraceStep; index: number; highlight: boolean }) {
  const [replaying, setReplaying] = useState(false);
  return (
    <section
      className={highlight ? 'card step-card highlight' : 'card step-card'}
      data-testid={`trace-step-${index + 1}`}
      aria-label={`Step ${index + 1}: ${step.type}`}
    >
      <div className="card-head">
        <h3>
          {index + 1}. <span className="mono">{step.type}</span> <span className={`pill tstate-${step.state}`}>{step.state}</span>
          {step.attempt > 1 && <span className="muted small-text"> attempt {step.attempt}</span>}
          {step.resumed && (
            <span
              className="muted small-text"
              data-testid={`step-resumed-${index + 1}`}
              title="An earlier attempt failed at this step: this attempt started here, with the same input, not at the task's first step"
            >
              {' '}
              · resumed here
            </span>
          )}
        </h3>
        <span className="muted small-text">
          step {step.stepId}
          {step.startedAt !== null && ` · waited ${formatDuration(step.startedAt - step.queuedAt)} in the buffer`}
          {step.startedAt !== null && step.finishedAt !== null && ` · ran ${formatDuration(step.finishedAt - step.startedAt)}`}
        </span>
      </div>
      <div className="step-io">
        <div>
          <h4>Input</h4>
          <pre className="pre" data-testid={`step-input-${index + 1}`}>
            {pretty(step.input)}
          </pre>
        </div>
        <div>
          {step.error !== null ? (
            <>
              <h4 className="bad-text">Error</h4>
              <pre className="pre bad-text" data-testid={`step-error-${index + 1}`}>
                {errorWithStack(step.error, step.stack)}
              </pre>
            </>
          ) : (
            <>
              <h4>Output{step.state === 'hopped' && <span className="muted small-text"> (the next step's input)</span>}</h4>
              <pre className="pre" data-testid={`step-output-${index + 1}`}>
                {step.output === null ? (
                  <span className="muted">{step.state === 'queued' || step.state === 'running' ? 'not yet' : '—'}</span>
                ) : (
                  pretty(step.output)
                )}
              </pre>
            </>
          )}
        </div>
      </div>
      {step.logs.length > 0 && (
        <details className="step-logs" open={step.logs.length <= 10}>
          <summary>{step.logs.length} log line(s)</summary>
          <ul className="mono small-text" data-testid={`step-logs-${index + 1}`}>
            {step.logs.map((l, i) => (
              <li key={i} className={`lvl-${l.level}`}>
                <span className="muted">{formatClock(l.time)}</span> <span className={`log-level lvl-${l.level}`}>{l.level}</span> {l.msg}
              </li>
            ))}
          </ul>
        </details>
      )}
      {replaying ? (
        <ReplayForm step={step} index={index} onClose={() => setReplaying(false)} />
      ) : (
        <div className="controls">
          <button type="button" className="btn small" onClick={() => setReplaying(true)} data-testid={`replay-open-${index + 1}`}>
            Replay this step…
          </button>
        </div>
      )}
    </section>
  );
}

/** Waits until the new task has reached this drone's local queue, then shows its trace. */
async function waitForTrace(id: string, onWaiting: () => void, isCancelled: () => boolean): Promise<void> {
  onWaiting();
  for (;;) {
    if (isCancelled()) return;
    if (await call('tasks.trace', { traceId: id })) break;
    await new Promise((r) => setTimeout(r, NEW_TASK_POLL_MS));
  }
  if (!isCancelled()) appStore.getState().openTrace(id);
}

function ReplayForm({ step, index, onClose }: { step: TraceStep; index: number; onClose: () => void }) {
  const [text, setText] = useState(() => pretty(step.input));
  const [newId, setNewId] = useState<string | null>(null);
  const parsed = useMemo(() => parseJson(text), [text]);
  // A trace carries inputs cut to a bound (not JSON then): unedited, the replay sends the stored data.
  const edited = text !== pretty(step.input);
  const sendable = parsed.ok || !edited;
  const marks: LineMark[] = parsed.ok || !edited ? [] : [{ ...parsed.problem, severity: 'error' }];
  const gone = useRef(false);
  useEffect(() => {
    gone.current = false;
    return () => {
      gone.current = true;
    };
  }, []);
  const [replay, state] = useAction(async () => {
    if (!sendable) return;
    const { id } = await call('tasks.replay', edited && parsed.ok ? { stepId: step.stepId, data: parsed.value } : { stepId: step.stepId });
    await waitForTrace(
      id,
      () => setNewId(id),
      () => gone.current,
    );
  });
  const editorId = `replay-editor-${step.stepId}`;
  return (
    <form
      className="replay-form"
      onSubmit={(e) => {
        e.preventDefault();
        void replay();
      }}
      data-testid={`replay-form-${index + 1}`}
    >
      <label className="field-label" htmlFor={editorId}>
        Replay step {index + 1} ({step.type}) as a new task, linked to this one{index > 0 && ' — starting from the recorded output of the step before it'}. Edit
        its data:
      </label>
      <JsonEditor
        id={editorId}
        value={text}
        onChange={setText}
        marks={marks}
        testId={`replay-editor-${index + 1}`}
        rows={Math.min(12, Math.max(3, text.split('\n').length))}
      />
      {!sendable && (
        <p className="error-text small-text" role="alert">
          Invalid JSON at line {parsed.problem.line}, column {parsed.problem.column}: {parsed.problem.message}
        </p>
      )}
      <div className="controls">
        <button type="submit" className="btn primary small" disabled={!sendable || state.pending} data-testid={`replay-send-${index + 1}`}>
          Replay
        </button>
        <button type="button" className="btn small" onClick={onClose}>
          Cancel
        </button>
        {state.pending && newId && (
          <span className="muted small-text" data-testid="replay-waiting">
            Task {newId} enqueued; waiting for it to reach this drone…
          </span>
        )}
        {state.error && (
          <span className="error-text small-text" role="alert" data-testid="replay-error">
            {state.error}
          </span>
        )}
      </div>
    </form>
  );
}
