import { VIEWS } from '../lib/shortcuts.js';
import { appStore, useApp } from '../hooks/useApp.js';

export function Nav() {
  const view = useApp((s) => s.view);
  const item = (v: (typeof VIEWS)[number]) => (
    <button
      key={v.id}
      type="button"
      className={v.id === view ? 'nav-item active' : 'nav-item'}
      aria-current={v.id === view ? 'page' : undefined}
      onClick={() => appStore.getState().setView(v.id)}
      data-testid={`nav-${v.id}`}
      title={`${v.label} (${v.digit ?? `g ${v.letter}`})`}
    >
      <span className="nav-label">{v.label}</span>
      <kbd className="nav-key">{v.digit ?? `g ${v.letter}`}</kbd>
    </button>
  );
  return (
    <nav className="nav" aria-label="Views">
      <span className="nav-group">This drone</span>
      {VIEWS.filter((v) => v.scope === 'drone').map(item)}
      <span className="nav-group">Whole queue</span>
      {VIEWS.filter((v) => v.scope === 'queue').map(item)}
      <button type="button" className="nav-item nav-help" onClick={() => appStore.getState().setHelpOpen(true)} title="Keyboard shortcuts (?)">
        <span className="nav-label">Shortcuts</span>
        <kbd className="nav-key">?</kbd>
      </button>
    </nav>
  );
}
