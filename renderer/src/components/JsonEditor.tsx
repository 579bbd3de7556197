import { useMemo, useRef, type RefObject } from 'react';
import { lineCount, marksByLine, offsetOf, type LineMark } from '../lib/editorLines.js';

/** Must match .editor's line-height in the CSS, to scroll a problem line into view. */
const LINE_PX = 20;

interface Props {
  id: string;
  value: string;
  onChange: (text: string) => void;
  marks: readonly LineMark[];
  testId: string;
  rows?: number;
  readOnly?: boolean;
  describedBy?: string;
  editorRef?: RefObject<HTMLTextAreaElement | null>;
}

/**
 * A plain textarea with a line-number gutter that marks lines with problems. Lines do not wrap,
 * so gutter rows and text lines stay aligned; the gutter follows the textarea's scroll.
 */
export function JsonEditor({ id, value, onChange, marks, testId, rows = 14, readOnly, describedBy, editorRef }: Props) {
  const gutterRef = useRef<HTMLDivElement>(null);
  const lines = lineCount(value);
  const byLine = useMemo(() => marksByLine(marks), [marks]);
  const numbers = useMemo(() => Array.from({ length: lines }, (_, i) => i + 1), [lines]);

  return (
    <div className="editor-frame">
      <div className="editor-gutter" aria-hidden="true">
        <div ref={gutterRef} className="editor-gutter-inner">
          {numbers.map((n) => {
            const m = byLine.get(n);
            const sev = m?.[0].severity;
            return (
              <div
                key={n}
                className={sev ? `gutter-line mark-${sev}` : 'gutter-line'}
                title={m?.map((x) => x.message).join('\n')}
                data-testid={sev ? `gutter-mark-${n}` : undefined}
              >
                {sev ? '●' : n}
              </div>
            );
          })}
        </div>
      </div>
      <textarea
        id={id}
        ref={editorRef}
        className="editor"
        value={value}
        rows={rows}
        wrap="off"
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        readOnly={readOnly}
        aria-invalid={marks.some((m) => m.severity === 'error')}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
        onScroll={(e) => {
          if (gutterRef.current) gutterRef.current.style.transform = `translateY(${-e.currentTarget.scrollTop}px)`;
        }}
        data-testid={testId}
      />
    </div>
  );
}

/** Puts the caret on a problem and scrolls its line into view. */
export function goToLine(el: HTMLTextAreaElement | null, line: number, column: number | null): void {
  if (!el) return;
  const at = offsetOf(el.value, line, column);
  el.focus();
  el.setSelectionRange(at, at);
  el.scrollTop = Math.max(0, (line - 3) * LINE_PX);
}
