import { useState } from 'react';
import type { TemplateActions } from '../hooks/useTemplates.js';
import type { Template } from '../lib/templates.js';

interface Props extends TemplateActions {
  type: string;
  /** The template of what the form holds now, under a name. */
  current: (name: string) => Template;
  onLoad: (t: Template) => void;
}

function optionsText(t: Template): string {
  const o = t.options;
  const parts = [
    o.count !== '1' && o.count && `×${o.count}`,
    o.priority && `priority ${o.priority}`,
    o.delay && `delay ${o.delay} ${o.delayUnit}`,
    o.postback && `→ ${o.postback}`,
  ];
  return parts.filter(Boolean).join(' · ');
}

/** Named payloads with their options, for this drone and type: save, load, rename, overwrite, delete. */
export function TemplateList({ type, list, save, rename, remove, current, onLoad }: Props) {
  const [name, setName] = useState('');
  const [renaming, setRenaming] = useState<{ from: string; to: string } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const exists = list.some((t) => t.name === name.trim());
  return (
    <section className="card templates" aria-labelledby="templates-title" data-testid="enqueue-templates">
      <h3 id="templates-title">Templates{type ? ` for ${type}` : ''}</h3>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          const problem = save(current(name));
          setMessage(problem);
          if (!problem) setName('');
        }}
      >
        <input
          type="text"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="name for the current payload and options"
          aria-label="Template name"
          className="grow"
          data-testid="template-name"
        />
        <button type="submit" className="btn" disabled={!type || name.trim() === ''} data-testid="template-save">
          {exists ? 'Overwrite' : 'Save'}
        </button>
      </form>
      {message && (
        <p className="error-text" role="alert" data-testid="template-error">
          {message}
        </p>
      )}
      {list.length === 0 ? (
        <p className="muted">Saved templates appear here (per drone and type, in this browser).</p>
      ) : (
        <ul className="recent-list">
          {list.map((t) => (
            <li key={t.name} className="template-item" data-testid="template-item">
              {renaming?.from === t.name ? (
                <form
                  className="row"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const problem = rename(t.name, renaming.to);
                    setMessage(problem);
                    if (!problem) setRenaming(null);
                  }}
                >
                  <input
                    type="text"
                    value={renaming.to}
                    onChange={(e) => setRenaming({ from: t.name, to: e.target.value })}
                    aria-label={`New name for ${t.name}`}
                    className="grow"
                    data-testid="template-rename-input"
                    autoFocus
                  />
                  <button type="submit" className="btn small">
                    Rename
                  </button>
                  <button type="button" className="btn small" onClick={() => setRenaming(null)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <>
                  <button type="button" className="recent-item" onClick={() => onLoad(t)} title={t.text} data-testid="template-load">
                    <strong>{t.name}</strong> <span className="muted small-text">{optionsText(t)}</span>
                  </button>
                  <button type="button" className="btn small" onClick={() => setRenaming({ from: t.name, to: t.name })} data-testid="template-rename">
                    Rename
                  </button>
                  <button type="button" className="btn small" onClick={() => remove(t.name)} data-testid="template-delete">
                    Delete
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
