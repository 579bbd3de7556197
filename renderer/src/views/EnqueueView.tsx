import { useMemo, useState, type DragEvent } from 'react';
import { parseJson, type ArgsIn } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useApp, useAppShallow } from '../hooks/useApp.js';
import { useRecentPayloads } from '../hooks/useRecentPayloads.js';
import { useTemplates } from '../hooks/useTemplates.js';
import { useBulkRun } from '../hooks/useBulkRun.js';
import { BulkImport } from '../components/BulkImport.js';
import { BulkRunPanel, type BulkAnswer, type BulkItem } from '../components/BulkRunPanel.js';
import { ScheduleFields } from '../components/ScheduleFields.js';
import { TemplateList } from '../components/TemplateList.js';
import { MAX_IMPORT_BYTES, parseJsonl, type ImportedTask } from '../lib/jsonl.js';
import { readSchedule, type ScheduleFields as Schedule } from '../lib/schedule.js';
import { templateScope, type Template } from '../lib/templates.js';
import type { LineMark } from '../lib/editorLines.js';
import { JsonEditor } from '../components/JsonEditor.js';
import { EnqueueResult, type EnqueueOutcome } from '../components/EnqueueResult.js';
import { RecentPayloadList } from '../components/RecentPayloadList.js';
import { SchemaForm } from '../components/SchemaForm.js';
import { TypeInput } from '../components/TypeInput.js';
import { usePoll } from '../hooks/usePoll.js';
import { defaultsOf, fieldsOf } from '../lib/schemaForm.js';

const MAX_COUNT = 100_000;
/** A batch must fit in one WebSocket message (2 MiB) with room to spare. */
const BATCH_BYTES = 1024 * 1024;

type NewTask = ArgsIn<'tasks.enqueueMany'>['tasks'][number];
type Item = BulkItem & { task: NewTask };

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
  const [schedule, setSchedule] = useState<Schedule>({ mode: 'now', delay: '30', unit: 's', at: '' });
  const configFile = useApp((s) => s.snapshot?.app.configFile ?? null);
  const templates = useTemplates(templateScope(configFile, type.trim()));
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const bulk = useBulkRun<Item, BulkAnswer>();
  const busy = pending !== null || bulk.run?.running === true;
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
  const when = readSchedule(schedule, Date.now());
  const extrasOk = maxAttempts !== null && priority !== null && when.ok;
  const canSend = typeOk && data.ok && !busy;
  const parsed = useMemo(() => (file ? { name: file.name, parsed: parseJsonl(file.text, type) } : null), [file, type]);

  /** A task with the form's options; a line's own type and options win. */
  const withOptions = (t: Omit<ImportedTask, 'line'>): NewTask => ({
    type: t.type,
    data: t.data,
    priority: t.priority ?? priority ?? undefined,
    maxAttempts: t.maxAttempts ?? maxAttempts ?? undefined,
    postback: postback.trim() || null,
    ...(t.delayMs !== undefined ? { delayMs: t.delayMs } : when.ok ? { delayMs: when.delayMs, runAt: when.runAt } : {}),
  });

  const sendAll = (items: Item[]) =>
    bulk.start({
      kind: 'enqueue',
      items,
      maxCount: 1000,
      maxBytes: BATCH_BYTES,
      // One batch at a time: the tasks reach the queue in the file's order.
      concurrency: 1,
      send: async (batch) => (await call('tasks.enqueueMany', { tasks: batch.map((b) => b.task) })).ids.map((id) => ({ id })),
      lineOf: (b) => b.line,
    });

  const waitAll = (items: Item[]) =>
    bulk.start({
      kind: 'wait',
      items,
      // Small batches, a few at once: the table fills as each batch's answers are in.
      maxCount: Math.min(100, Math.max(10, Math.ceil(items.length / 10))),
      maxBytes: BATCH_BYTES,
      concurrency: 4,
      send: async (batch) =>
        (
          await call('tasks.requestMany', {
            tasks: batch.map(({ task: t }) => ({ type: t.type, data: t.data, priority: t.priority, maxAttempts: t.maxAttempts })),
            timeoutMs,
          })
        ).outcomes,
      lineOf: (b) => b.line,
    });

  const importItems = (): Item[] => (parsed?.parsed.tasks ?? []).map((t) => ({ line: t.line, type: t.type, task: withOptions(t) }));
  const copies = (): Item[] => {
    if (!data.ok) return [];
    const task = withOptions({ type: type.trim(), data: data.data });
    return Array.from({ length: count }, (_, i) => ({ line: i + 1, type: task.type, task }));
  };

  const pick = (f: File) => {
    setFileError(null);
    if (f.size > MAX_IMPORT_BYTES) {
      setFile(null);
      setFileError(`${f.name} is ${(f.size / 1024 / 1024).toFixed(0)} MiB; an import reads at most ${MAX_IMPORT_BYTES / 1024 / 1024} MiB: split it`);
      return;
    }
    f.text().then(
      (text) => setFile({ name: f.name, text }),
      (err: unknown) => setFileError(`cannot read ${f.name}: ${(err as Error).message}`),
    );
  };
  const onDrop = (e: DragEvent) => {
    const f = e.dataTransfer.files[0];
    if (!f) return;
    e.preventDefault();
    if (!busy) pick(f);
  };

  const current = (name: string): Template => ({
    name,
    text,
    options: {
      count: countText,
      priority: priorityText,
      maxAttempts: maxAttemptsText,
      postback,
      delay: schedule.mode === 'delay' ? schedule.delay : '',
      delayUnit: schedule.unit,
    },
    savedAt: Date.now(),
  });
  const load = (t: Template) => {
    setText(t.text);
    setCount(t.options.count || '1');
    setPriority(t.options.priority);
    setMaxAttempts(t.options.maxAttempts);
    setPostback(t.options.postback);
    setSchedule((s) => (t.options.delay ? { ...s, mode: 'delay', delay: t.options.delay, unit: t.options.delayUnit } : { ...s, mode: 'now' }));
  };

  const send = async () => {
    if (!data.ok || !countOk || maxAttempts === null || priority === null || !when.ok) return;
    setPending(`Enqueueing ${count} task(s)…`);
    try {
      const sentAt = Date.now();
      const res = await call('tasks.enqueue', {
        type: type.trim(),
        data: data.data,
        count,
        postback: postback.trim() || null,
        maxAttempts,
        priority,
        delayMs: when.delayMs,
        runAt: when.runAt,
      });
      remember(type.trim(), text);
      setOutcome({ kind: 'sent', type: type.trim(), ids: res.ids, runAt: res.runAt, sentAt });
    } catch (err) {
      setOutcome({ kind: 'error', message: (err as Error).message });
    } finally {
      setPending(null);
    }
  };

  const sendAndWait = async () => {
    if (!data.ok || !timeoutOk) return;
    if (count > 1) {
      if (!countOk || !extrasOk) return;
      remember(type.trim(), text);
      return waitAll(copies());
    }
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
    <div className="enqueue-view" onDragOver={(e) => e.dataTransfer.types.includes('Files') && e.preventDefault()} onDrop={onDrop}>
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
          <ScheduleFields value={schedule} onChange={setSchedule} invalid={!when.ok} />
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
          {(maxAttempts === null || priority === null) && (
            <p className="error-text">Priority and max attempts must be whole numbers (max attempts 1 to 1000).</p>
          )}
          {!when.ok && (
            <p className="error-text" data-testid="enqueue-schedule-error">
              {when.message}
            </p>
          )}
          {when.ok && when.past && <p className="muted small-text">That time has passed: the tasks run now.</p>}
          <div className="controls">
            <button type="submit" className="btn primary" disabled={!canSend || !countOk || !extrasOk} data-testid="enqueue-send">
              Send
            </button>
            <button
              type="button"
              className="btn"
              disabled={!canSend || !timeoutOk || (count > 1 && (!countOk || !extrasOk))}
              onClick={() => void sendAndWait()}
              data-testid="enqueue-send-wait"
            >
              Send and wait
            </button>
            <span className="muted small-text">
              "Send and wait" sends count tasks and shows each result (with priority and max attempts); postback and the schedule apply to "Send".
            </span>
          </div>
        </form>
        <div className="enqueue-side">
          <EnqueueResult outcome={outcome} pending={pending} />
          <TemplateList type={type.trim()} {...templates} current={current} onLoad={load} />
          <BulkImport
            file={parsed}
            fileError={fileError}
            busy={busy}
            blocked={
              !extrasOk ? 'The options on the left apply to every line: fix them first.' : !timeoutOk ? '"Wait up to" must be 0.1 to 600 seconds.' : null
            }
            onPick={pick}
            onSend={() => void sendAll(importItems())}
            onSendWait={() => void waitAll(importItems())}
            onClear={() => setFile(null)}
          />
          <RecentPayloadList type={type.trim()} payloads={recent[type.trim()] ?? []} onPick={setText} />
        </div>
      </div>
      {bulk.run && <BulkRunPanel run={bulk.run} onCancel={bulk.cancel} onResume={() => void bulk.resume()} />}
    </div>
  );
}
