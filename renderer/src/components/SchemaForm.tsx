import { useEffect, useState, type ReactNode } from 'react';
import { parseJson } from '../../../core/api/contract.js';
import { enumLabel, getAt, missingRequired, numberFromText, setAt, type Field } from '../lib/schemaForm.js';

interface Props {
  root: Field;
  /** The data, as the raw editor's JSON text; the form reads and writes it. */
  text: string;
  onChange: (text: string) => void;
}

const toText = (data: unknown) => (data === undefined ? '' : JSON.stringify(data, null, 2));

/** A form generated from the type's payload schema, over the same JSON text as the raw editor. */
export function SchemaForm({ root, text, onChange }: Props) {
  const parsed = text.trim() === '' ? ({ ok: true, value: undefined } as const) : parseJson(text);
  if (!parsed.ok) {
    return (
      <p className="error-text small-text" role="alert" data-testid="schema-form-invalid">
        The data is not valid JSON ({parsed.problem.message}, line {parsed.problem.line}): fix it in the raw JSON editor to use the form.
      </p>
    );
  }
  const data = parsed.value;
  const set = (path: string[], value: unknown) => onChange(toText(setAt(data, path, value)));
  const missing = missingRequired(root, data);
  return (
    <div className="schema-form" data-testid="schema-form">
      <FieldView f={root} data={data} set={set} />
      {missing.length > 0 && (
        <p className="warn-text small-text" data-testid="schema-form-missing">
          Required: {missing.join(', ')}
        </p>
      )}
    </div>
  );
}

function FieldView({ f, data, set }: { f: Field; data: unknown; set: (path: string[], value: unknown) => void }) {
  const value = getAt(data, f.path);
  const id = `sf-${f.path.join('.') || 'data'}`;
  const label = (
    <span>
      {f.label}
      {f.required && f.path.length > 0 && (
        <span className="required" title="required">
          {' '}
          *
        </span>
      )}
    </span>
  );
  const help = f.description && <span className="muted small-text">{f.description}</span>;
  switch (f.kind) {
    case 'object':
      return (
        <fieldset className="sf-object" data-testid={id}>
          {f.path.length > 0 && <legend>{label}</legend>}
          {help}
          {f.children.map((c) => (
            <FieldView key={c.path.join('.')} f={c} data={data} set={set} />
          ))}
        </fieldset>
      );
    case 'boolean':
      return (
        <label className="field checkbox">
          <input type="checkbox" checked={value === true} onChange={(e) => set(f.path, e.target.checked)} data-testid={id} />
          {label}
          {help}
        </label>
      );
    case 'enum':
      return (
        <label className="field">
          {label}
          <select
            value={f.enumValues.findIndex((v) => JSON.stringify(v) === JSON.stringify(value))}
            onChange={(e) => set(f.path, Number(e.target.value) < 0 ? undefined : f.enumValues[Number(e.target.value)])}
            data-testid={id}
          >
            <option value={-1}>—</option>
            {f.enumValues.map((v, i) => (
              <option key={i} value={i}>
                {enumLabel(v)}
              </option>
            ))}
          </select>
          {help}
        </label>
      );
    case 'number':
    case 'integer':
      return <NumberField f={f} value={value} set={set} id={id} label={label} help={help} />;
    case 'string':
      return (
        <label className="field">
          {label}
          <input
            type="text"
            value={typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value)}
            onChange={(e) => set(f.path, e.target.value === '' && !f.required ? undefined : e.target.value)}
            spellCheck={false}
            data-testid={id}
          />
          {help}
        </label>
      );
    default:
      return <JsonField f={f} value={value} set={set} id={id} label={label} />;
  }
}

/** Keeps its own text, so "1." or "-" can be typed on the way to a number. */
function NumberField({
  f,
  value,
  set,
  id,
  label,
  help,
}: {
  f: Field;
  value: unknown;
  set: (path: string[], value: unknown) => void;
  id: string;
  label: ReactNode;
  help: ReactNode;
}) {
  const integer = f.kind === 'integer';
  const [text, setText] = useState(() => (value === undefined ? '' : String(value)));
  useEffect(() => {
    if (JSON.stringify(numberFromText(text, integer)) !== JSON.stringify(value)) setText(value === undefined ? '' : String(value));
  }, [value, text, integer]);
  return (
    <label className="field">
      {label}
      <input
        type="text"
        inputMode={integer ? 'numeric' : 'decimal'}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          set(f.path, numberFromText(e.target.value, integer));
        }}
        aria-invalid={value !== undefined && typeof value !== 'number'}
        className="mono"
        data-testid={id}
      />
      {help}
    </label>
  );
}

/** Arrays and anything else the form does not break down: a small JSON field of its own. */
function JsonField({ f, value, set, id, label }: { f: Field; value: unknown; set: (path: string[], value: unknown) => void; id: string; label: ReactNode }) {
  const [text, setText] = useState(() => toText(value));
  const [problem, setProblem] = useState<string | null>(null);
  const outside = toText(value);
  // Follows edits made elsewhere (the raw editor) unless this field holds unparsed text.
  useEffect(() => {
    if (problem === null) setText(outside);
  }, [outside, problem]);
  return (
    <label className="field">
      {label}
      <textarea
        className="mono sf-json"
        rows={3}
        value={text}
        spellCheck={false}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === '') {
            setProblem(null);
            set(f.path, undefined);
            return;
          }
          const p = parseJson(e.target.value);
          setProblem(p.ok ? null : `${p.problem.message} (line ${p.problem.line})`);
          if (p.ok) set(f.path, p.value);
        }}
        aria-invalid={problem !== null}
        data-testid={id}
      />
      {problem && <span className="error-text small-text">{problem}</span>}
    </label>
  );
}
