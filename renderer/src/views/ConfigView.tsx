import { useEffect, useMemo, useRef, useState } from 'react';
import type { ConfigView as ConfigText } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useApp } from '../hooks/useApp.js';
import { useConfigCheck, type CheckState } from '../hooks/useConfigCheck.js';
import type { LineMark } from '../lib/editorLines.js';
import { JsonEditor, goToLine, type JsonEditorHandle } from '../components/JsonEditor.js';
import { ConfigIssues } from '../components/ConfigIssues.js';
import { ConfigResult, type ApplyOutcome } from '../components/ConfigResult.js';

function marksOf(state: CheckState): LineMark[] {
  if (state.kind === 'syntax') return [{ line: state.line, column: state.column, message: state.message, severity: 'error' }];
  if (state.kind !== 'checked') return [];
  const out: LineMark[] = [];
  for (const i of state.check.issues) if (i.line != null) out.push({ line: i.line, column: i.column, message: `${i.path}: ${i.message}`, severity: 'error' });
  for (const i of state.check.warnings)
    if (i.line != null) out.push({ line: i.line, column: i.column, message: `${i.path}: ${i.message}`, severity: 'warning' });
  return out;
}

export function ConfigView() {
  const [loaded, setLoaded] = useState<ConfigText | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<ApplyOutcome | null>(null);
  const [applying, setApplying] = useState(false);
  const editorRef = useRef<JsonEditorHandle>(null);
  const [schema, setSchema] = useState<unknown>(null);
  const appState = useApp((s) => s.snapshot?.app.state ?? null);
  const check = useConfigCheck(text);
  const marks = useMemo(() => marksOf(check), [check]);

  const load = () => {
    setLoadError(null);
    call('config.get', {})
      .then((view) => {
        setLoaded(view);
        setText(view.text);
      })
      .catch((err: Error) => setLoadError(err.message));
  };
  // On first show and after every reconnect, unless that would throw away the user's edits.
  const connected = useApp((s) => s.connection.status === 'open');
  const editedRef = useRef(false);
  editedRef.current = text !== null && loaded !== null && text !== loaded.text;
  useEffect(() => {
    if (connected && !editedRef.current) load();
  }, [connected]);
  // Completion and hover docs only: the editor works without them, so a failure just goes without.
  useEffect(() => {
    if (connected && schema === null) call('config.schema', {}).then(setSchema, () => {});
  }, [connected, schema]);

  const apply = async (save: boolean) => {
    if (text === null) return;
    setApplying(true);
    try {
      const res = await call('config.apply', { text, save });
      setOutcome({ check: res, saved: save && res.ok, file: loaded?.file ?? null });
      if (res.ok && loaded) setLoaded({ ...loaded, text });
    } catch (err) {
      setOutcome({ error: (err as Error).message });
    } finally {
      setApplying(false);
    }
  };

  const goTo = (line: number, column: number | null) => goToLine(editorRef.current, line, column);
  const dirty = loaded !== null && text !== null && text !== loaded.text;
  // Not blocked on known problems: the drone checks again and the result says why it refused.
  const blocked = text === null || applying;

  if (loadError && text === null) {
    return (
      <section className="card">
        <p className="error-text" role="alert">
          Could not read the configuration: {loadError}
        </p>
        <button type="button" className="btn" onClick={load}>
          Try again
        </button>
      </section>
    );
  }

  return (
    <div className="config-grid">
      <section className="card config-editor-card" aria-labelledby="config-title">
        <div className="card-head">
          <h2 id="config-title">Configuration</h2>
          <span className="muted mono">{loaded?.file ?? (loaded ? 'not from a file' : 'loading…')}</span>
        </div>
        <label className="sr-only" htmlFor="config-editor">
          Configuration JSON
        </label>
        <JsonEditor
          id="config-editor"
          value={text ?? ''}
          onChange={setText}
          marks={marks}
          testId="config-editor"
          rows={24}
          readOnly={text === null}
          editorRef={editorRef}
          schema={schema}
          describedBy="config-issues-title"
        />
        <div className="controls">
          <button
            type="button"
            className="btn primary"
            disabled={blocked}
            onClick={() => void apply(false)}
            data-testid="config-apply"
            title="Restart the drone on this config without touching the file"
          >
            Apply
          </button>
          <button
            type="button"
            className="btn"
            disabled={blocked || !loaded?.file}
            onClick={() => void apply(true)}
            data-testid="config-apply-save"
            title={loaded?.file ? `Save to ${loaded.file}, then restart on it` : 'There is no config file to save to'}
          >
            Apply &amp; save
          </button>
          <button type="button" className="btn" disabled={!dirty || applying} onClick={load}>
            Discard changes
          </button>
          <span className="muted small-text">
            {dirty ? 'Edited — not applied.' : 'Unchanged.'} {appState && appState !== 'running' ? `Drone: ${appState}.` : ''}
          </span>
        </div>
      </section>
      <div className="config-side">
        <section className="card" aria-labelledby="config-issues-title">
          <h3 id="config-issues-title">Problems</h3>
          <ConfigIssues state={check} onGoTo={goTo} />
        </section>
        <ConfigResult outcome={outcome} pending={applying} onGoTo={goTo} />
      </div>
    </div>
  );
}
