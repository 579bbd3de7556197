import { useEffect, useRef } from 'react';
import { VIEWS } from '../lib/shortcuts.js';
import { appStore, useApp } from '../hooks/useApp.js';

export function HelpOverlay() {
  const open = useApp((s) => s.helpOpen);
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    const before = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    return () => before?.focus?.();
  }, [open]);
  if (!open) return null;
  const close = () => appStore.getState().setHelpOpen(false);
  return (
    <div className="overlay" onClick={close} data-testid="help-overlay">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" onClick={(e) => e.stopPropagation()}>
        <h2 id="help-title">Keyboard shortcuts</h2>
        <table className="keys">
          <tbody>
            {VIEWS.map((v) => (
              <tr key={v.id}>
                <td>
                  {v.digit && (
                    <>
                      <kbd>{v.digit}</kbd> or{' '}
                    </>
                  )}
                  <kbd>g</kbd> <kbd>{v.letter}</kbd>
                </td>
                <td>{v.label}</td>
              </tr>
            ))}
            <tr>
              <td>
                <kbd>?</kbd>
              </td>
              <td>This help</td>
            </tr>
            <tr>
              <td>
                <kbd>Esc</kbd>
              </td>
              <td>Close this help</td>
            </tr>
          </tbody>
        </table>
        <p className="muted">Shortcuts are ignored while typing in a field.</p>
        <button type="button" className="btn" ref={closeRef} onClick={close}>
          Close
        </button>
      </div>
    </div>
  );
}
