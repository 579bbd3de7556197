import { useMemo, useState } from 'react';
import { parseJson } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useAppShallow } from '../hooks/useApp.js';
import { useRecentPayloads } from '../hooks/useRecentPayloads.js';
import type { LineMark } from '../lib/editorLines.js';
import { JsonEditor } from '../components/JsonEditor.js';
import { EnqueueResult, type EnqueueOutcome } from '../components/EnqueueResult.js';
import { RecentPayloadList } from '../components/RecentPayloadList.js';
import { SchemaForm } from '../components/SchemaForm.js';
import { TypeInput } from '../components/TypeInput.js';
import { usePoll } from '../hooks/usePoll.js';
import { defaultsOf, fieldsOf } from '../lib/schemaForm.js';

const MAX_COUNT = 100_000;

/** Empty text means "no data" (the task gets null); anything else must be JSON. */
function readData(text: string): { ok: true; data: unknown } | { ok: false; message: string; line: number; column: number } {
  if (text.trim() === '') return { ok: true, data: undefined };
  const parsed = parseJson(text);
  return parsed.ok ? { ok: true, data: parsed.value } : { ok: false, ...parsed.problem };
}

/** Empty is "not given" (undefined); otherwise a whole number in range, or null when it is not. */
function optionalInt(text: string, min: number, max: number): number | undefined | null {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

export function EnqueueView() {
  const types = useAppShallow((s) => s.snapshot?.drone?.types.map((t) => t.type) ?? []);
  const [typeInput, setType] = useState<string | null>(null);
  const type = typeInput ?? types[0] ?? '';
  const [text, setText] = useState('');
  const [countText, setCount] = useState('1');
  const [postback, setPostback] = useState('');
  const [timeoutS, setTimeoutS] = useState('30');
  const [maxAttemptsText, setMaxAttempts] = useState('');
  const [priorityText, setPriority] = useState('');
  const [outcome, setOutcome] = useState<EnqueueOutcome | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  const [recent, remember] = useRecentPayloads();
  const [mode, setMode] = useState<'form' | 'json'>('json');
  const schemaType = types.includes(type.trim()) ? type.trim() : null;
  const schema = usePoll(schemaType, () => call('types.schema', { type: schemaType! }), 0);
  const form = useMemo(() => (schema.data ? fieldsOf(schema.data) : null), [schema.data]);
  const formOn = form !== null && mode === 'form';
  const showForm = () => {
    setMode('form');
    if (form && text.trim() === '') {
      const d = defaultsOf(form);
      if (d !== undefined) setText(JSON.stringify(d, null, 2));
    }
  };

  const data = useMemo(() => readData(text), [text]);
  const marks: LineMark[] = data.ok ? [] : [{ line: data.line, column: data.column, message: data.message, severity: 'error' }];
  const count = Number(countText);
  const countOk = Number.isInteger(count) && count >= 1 && count <= MAX_COUNT;
  const timeoutMs = Math.round(Number(timeoutS) * 1000);
  const timeoutOk = Number.isFinite(timeoutMs) && timeoutMs >= 100 && timeoutMs <= 600_000;
  const typeOk = type.trim().length > 0 && type.length <= 200;
  const maxAttempts = optionalInt(maxAttemptsText, 1, 1000);
  const priority = optionalInt(priorityText, -(2 ** 31), 2 ** 31 - 1);
  const extrasOk = maxAttempts !== null && priority !== null;
  const canSend = typeOk && data.ok && !pending;

  const send = async () => {
    if (!data.ok || !countOk || maxAttempts === null || priority === null) return;
    setPending(`Enqueueing ${count} task(s)…`);
    try {
      const res = await call('tasks.enqueue', { type: type.trim(), data: data.data, count, postback: postback.trim() || null, maxAttempts, priority });
      remember(type.trim(), text);
      setOutcome({ kind: 'sent', type: type.trim(), ids: res.ids });
    } catch (err) {
      setOutcome({ kind: 'error', message: (err as Error).message });
    } finally {
      setPending(null);
    }
  };

  const sendAndWait = async () => {
    if (!data.ok || !timeoutOk) return;
    setPending(`Waiting for the result (up to ${timeoutMs / 1000} s)…`);
    try {
      const res = await call('tasks.request', { type: type.trim(), data: data.data, timeoutMs });
      remember(type.trim(), text);
      setOutcome(
        res.failure
          ? { kind: 'failed', type: type.trim(), id: res.id, ms: res.ms, ...res.failure }
          : { kind: 'answered', type: type.trim(), id: res.id, result: res.result, ms: res.ms },
      );
    } catch (err) {
      setOutcome({ kind: 'error', message: (err as Error).message });
    } finally {
      setPending(null);
    }
  };

  return (
    <div className="enqueue-grid">
      <form
        className="card enqueue-form"
        aria-labelledby="enqueue-title"
        onSubmit={(e) => {
          e.preventDefault();
          if (canSend && countOk && extrasOk) void send();
        }}
      >
        <h2 id="enqueue-title">Enqueue tasks</h2>
        <label className="field">
          <span>Task type</span>
          <TypeInput id="enqueue-type-options" value={type} onChange={setType} types={types} placeholder="e.g. factorial" required testId="enqueue-type" />
        </label>
        {types.length > 0 && (
          <div className="chips" role="group" aria-label="This drone's task types">
            {types.map((t) => (
              <button key={t} type="button" className={t === type ? 'chip active' : 'chip'} onClick={() => setType(t)} aria-pressed={t === type}>
                {t}
              </button>
            ))}
          </div>
        )}
        <div className="data-head">
          <label className="field-label" htmlFor={formOn ? undefined : 'enqueue-data'}>
            Data {formOn ? "(from the type's payload schema)" : '(JSON; empty sends null)'}
          </label>
          {form && (
            <div className="segmented" role="group" aria-label="Edit the data as">
              <button type="button" className={formOn ? 'chip active' : 'chip'} aria-pressed={formOn} onClick={showForm} data-testid="enqueue-mode-form">
                Form
              </button>
              <button
                type="button"
                className={!formOn ? 'chip active' : 'chip'}
                aria-pressed={!formOn}
                onClick={() => setMode('json')}
                data-testid="enqueue-mode-json"
              >
                Raw JSON
              </button>
            </div>
          )}
        </div>
        {formOn ? (
          <SchemaForm root={form} text={text} onChange={setText} />
        ) : (
          <JsonEditor
            id="enqueue-data"
            value={text}
            onChange={setText}
            marks={marks}
            testId="enqueue-data"
            rows={10}
            describedBy="enqueue-data-status"
            schema={schema.data}
          />
        )}
        <div id="enqueue-data-status" className="editor-status">
          {data.ok ? (
            <span className="ok-text">{text.trim() === '' ? 'No data (null)' : 'Valid JSON'}</span>
          ) : (
            <span className="error-text" role="alert" data-testid="enqueue-json-error">
              Invalid JSON at line {data.line}, column {data.column}: {data.message}
            </span>
          )}
        </div>
        <div className="row">
          <label className="field">
            <span>Count</span>
            <input
              type="number"
              min={1}
              max={MAX_COUNT}
              step={1}
              value={countText}
              onChange={(e) => setCount(e.target.value)}
              aria-invalid={!countOk}
              className="narrow"
              data-testid="enqueue-count"
            />
          </label>
          <label className="field grow">
            <span>Postback (optional)</span>
            <input
              type="text"
              value={postback}
              onChange={(e) => setPostback(e.target.value)}
              placeholder="task type that receives the result"
              spellCheck={false}
              data-testid="enqueue-postback"
            />
          </label>
          <label className="field">
            <span>Wait up to (s)</span>
            <input
              type="number"
              min={0.1}
              max={600}
              step="any"
              value={timeoutS}
              onChange={(e) => setTimeoutS(e.target.value)}
              aria-invalid={!timeoutOk}
              className="narrow"
              data-testid="enqueue-timeout"
            />
          </label>
        </div>
        <details className="more">
          <summary>More options</summary>
          <div className="row">
            <label className="field">
              <span>Priority (higher first)</span>
              <input
                type="number"
                step={1}
                value={priorityText}
                onChange={(e) => setPriority(e.target.value)}
                placeholder="0"
                aria-invalid={priority === null}
                className="narrow"
                data-testid="enqueue-priority"
              />
            </label>
            <label className="field">
              <span>Max attempts</span>
              <input
                type="number"
                min={1}
                max={1000}
                step={1}
                value={maxAttemptsText}
                onChange={(e) => setMaxAttempts(e.target.value)}
                placeholder="5"
                aria-invalid={maxAttempts === null}
                className="narrow"
                data-testid="enqueue-max-attempts"
              />
            </label>
          </div>
        </details>
        {!countOk && <p className="error-text">Count must be a whole number from 1 to {MAX_COUNT}.</p>}
        {!extrasOk && <p className="error-text">Priority and max attempts must be whole numbers (max attempts 1 to 1000).</p>}
        <div className="controls">
          <button type="submit" className="btn primary" disabled={!canSend || !countOk || !extrasOk} data-testid="enqueue-send">
            Send
          </button>
          <button type="button" className="btn" disabled={!canSend || !timeoutOk} onClick={() => void sendAndWait()} data-testid="enqueue-send-wait">
            Send and wait
          </button>
          <span className="muted small-text">"Send and wait" sends one task and shows its result; count, postback and the other options apply to "Send".</span>
        </div>
      </form>
      <div className="enqueue-side">
        <EnqueueResult outcome={outcome} pending={pending} />
        <RecentPayloadList type={type.trim()} payloads={recent[type.trim()] ?? []} onPick={setText} />
      </div>
    </div>
  );
}
