/**
 * The CodeMirror pieces of the JSON editors: the extensions, the theme (the app's colour
 * variables, so both schemes follow), problem markers fed from outside, and schema hints.
 */
import { autocompletion, completionKeymap, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { bracketMatching, foldGutter, foldKeymap, HighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, Facet, RangeSet, StateEffect, StateField, type Extension, type Text } from '@codemirror/state';
import { drawSelection, EditorView, GutterMarker, hoverTooltip, keymap, lineNumberMarkers, lineNumbers } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';
import { marksByLine, problemSpan, type LineMark } from '../lib/editorLines.js';
import { completionsAt, hoverAt } from '../lib/jsonSchemaHints.js';

/** Must match the line height in the theme below: the editor's height is given in rows. */
export const LINE_PX = 20;

/** The JSON Schema completion and hover docs read; null (the default) offers nothing. */
export const schemaFacet = Facet.define<unknown, unknown>({ combine: (values) => values[values.length - 1] ?? null });

/** A problem marker in the line-number gutter, in place of the number, as the textarea editor had it. */
class ProblemMarker extends GutterMarker {
  constructor(
    readonly line: number,
    readonly severity: LineMark['severity'],
    readonly title: string,
  ) {
    super();
    this.elementClass = `cm-problem cm-problem-${severity}`;
  }
  override eq(other: GutterMarker): boolean {
    return other instanceof ProblemMarker && other.line === this.line && other.severity === this.severity && other.title === this.title;
  }
  override toDOM(): Node {
    const el = document.createElement('span');
    el.textContent = '●';
    el.title = this.title;
    el.dataset.testid = `gutter-mark-${this.line}`;
    return el;
  }
}

interface Problems {
  markers: RangeSet<GutterMarker>;
  invalid: boolean;
}

const setProblems = StateEffect.define<Problems>();

/** The markers follow edits until the next check replaces them; aria-invalid says whether any is an error. */
const problemField = StateField.define<Problems>({
  create: () => ({ markers: RangeSet.empty, invalid: false }),
  update(problems, tr) {
    for (const e of tr.effects) if (e.is(setProblems)) return e.value;
    return tr.docChanged ? { ...problems, markers: problems.markers.map(tr.changes) } : problems;
  },
  provide: (f) => [lineNumberMarkers.from(f, (p) => p.markers), EditorView.contentAttributes.from(f, (p) => ({ 'aria-invalid': String(p.invalid) }))],
});

function lineAt(doc: Text, n: number) {
  return doc.line(Math.min(Math.max(1, n), doc.lines));
}

/** The transactions that show `marks` (1-based lines and columns of the checked text) on `state`. */
export function problemsUpdate(state: EditorState, marks: readonly LineMark[]) {
  const doc = state.doc;
  const diagnostics: Diagnostic[] = marks.map((m) => {
    const line = lineAt(doc, m.line);
    const { start, end } = problemSpan(line.text, m.column);
    return { from: line.from + start, to: line.from + end, severity: m.severity, message: m.message };
  });
  const markers = [...marksByLine(marks)].map(([n, list]) =>
    new ProblemMarker(n, list[0].severity, list.map((m) => m.message).join('\n')).range(lineAt(doc, n).from),
  );
  const invalid = marks.some((m) => m.severity === 'error');
  return [setDiagnostics(state, diagnostics), { effects: setProblems.of({ markers: RangeSet.of(markers, true), invalid }) }];
}

function schemaCompletions(ctx: CompletionContext): CompletionResult | null {
  const schema = ctx.state.facet(schemaFacet);
  if (schema == null) return null;
  const found = completionsAt(schema, ctx.state.doc.toString(), ctx.pos);
  // While typing, only once a word or quote is started: a list after every comma would be noise.
  if (found.candidates.length === 0 || (!found.typed && !ctx.explicit)) return null;
  return {
    from: found.from,
    to: found.to,
    options: found.candidates.map((c) => ({
      label: c.label,
      displayLabel: c.display,
      detail: c.detail,
      info: c.info || undefined,
      apply: c.apply,
      type: c.kind === 'property' ? 'property' : 'constant',
    })),
  };
}

const schemaHover = hoverTooltip((view, pos) => {
  const schema = view.state.facet(schemaFacet);
  const hover = schema == null ? null : hoverAt(schema, view.state.doc.toString(), pos);
  if (!hover) return null;
  return {
    pos: hover.from,
    end: hover.to,
    above: true,
    create() {
      const dom = document.createElement('div');
      dom.className = 'cm-schema-doc';
      const head = dom.appendChild(document.createElement('div'));
      head.className = 'cm-schema-doc-head';
      if (hover.name) head.appendChild(document.createElement('b')).textContent = hover.name;
      if (hover.detail) head.appendChild(document.createElement('span')).textContent = hover.detail;
      if (hover.info) dom.appendChild(document.createElement('div')).textContent = hover.info;
      return { dom };
    },
  };
});

const highlight = HighlightStyle.define([
  { tag: t.propertyName, color: 'var(--syn-key)' },
  { tag: t.string, color: 'var(--syn-string)' },
  { tag: t.number, color: 'var(--syn-number)' },
  { tag: [t.bool, t.null], color: 'var(--syn-atom)' },
  { tag: [t.brace, t.squareBracket, t.separator], color: 'var(--muted)' },
]);

const theme = EditorView.theme({
  '&': { flex: '1', minWidth: '0', height: '100%', color: 'var(--text)', backgroundColor: 'var(--panel)', fontSize: '13px' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: `${LINE_PX}px` },
  '.cm-content': { padding: '8px 0', caretColor: 'var(--text)' },
  '.cm-line': { padding: '0 10px' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--text)' },
  '&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection': {
    backgroundColor: 'var(--selection)',
  },
  '.cm-gutters': { backgroundColor: 'var(--panel-2)', color: 'var(--muted)', borderRight: '1px solid var(--border)', fontSize: '11.5px' },
  '.cm-lineNumbers .cm-gutterElement': { minWidth: '28px', padding: '0 6px 0 4px' },
  '.cm-gutterElement.cm-problem-error': { color: 'var(--bad)', backgroundColor: 'var(--bad-bg)' },
  '.cm-gutterElement.cm-problem-warning': { color: 'var(--warn)', backgroundColor: 'var(--warn-bg)' },
  '.cm-foldGutter .cm-gutterElement': { cursor: 'pointer', padding: '0 4px' },
  '.cm-foldPlaceholder': { backgroundColor: 'var(--panel-2)', border: '1px solid var(--border)', color: 'var(--muted)' },
  '&.cm-focused .cm-matchingBracket': { backgroundColor: 'var(--selection)', outline: '1px solid var(--accent)' },
  '&.cm-focused .cm-nonmatchingBracket': { backgroundColor: 'var(--bad-bg)', color: 'var(--bad)' },
  // A wavy underline in the scheme's colours rather than lint's fixed red picture.
  '.cm-lintRange-error, .cm-lintRange-warning': { backgroundImage: 'none', textDecoration: 'underline wavy', textUnderlineOffset: '3px' },
  '.cm-lintRange-error': { textDecorationColor: 'var(--bad)' },
  '.cm-lintRange-warning': { textDecorationColor: 'var(--warn)' },
  '.cm-tooltip': {
    backgroundColor: 'var(--panel)',
    color: 'var(--text)',
    border: '1px solid var(--border)',
    borderRadius: '6px',
    boxShadow: 'var(--shadow)',
    fontFamily: 'var(--sans)',
    fontSize: '12.5px',
  },
  '.cm-tooltip.cm-tooltip-autocomplete > ul': { fontFamily: 'var(--mono)', maxHeight: '14em' },
  '.cm-tooltip.cm-tooltip-autocomplete > ul > li': { padding: '2px 8px', lineHeight: '18px' },
  '.cm-tooltip-autocomplete ul li[aria-selected]': { backgroundColor: 'var(--accent)', color: 'var(--accent-text)' },
  '.cm-completionDetail': { color: 'var(--muted)', fontStyle: 'normal', marginLeft: '1em' },
  '.cm-tooltip-autocomplete ul li[aria-selected] .cm-completionDetail': { color: 'inherit', opacity: '0.85' },
  '.cm-completionMatchedText': { textDecoration: 'none', fontWeight: '600' },
  '.cm-tooltip.cm-completionInfo': { padding: '6px 9px', maxWidth: '340px', lineHeight: '1.4' },
  '.cm-diagnostic': { padding: '4px 8px' },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--bad)' },
  '.cm-diagnostic-warning': { borderLeftColor: 'var(--warn)' },
  '.cm-schema-doc': { padding: '6px 9px', maxWidth: '380px', lineHeight: '1.4' },
  '.cm-schema-doc-head': { display: 'flex', gap: '8px', fontFamily: 'var(--mono)' },
  '.cm-schema-doc-head span': { color: 'var(--muted)' },
  '.cm-schema-doc-head + div': { marginTop: '3px' },
});

/**
 * The range an input event replaces: the event's own, else the page's selection (which the
 * editor's may not have caught up with yet). In a shadow root only the root's getSelection sees it.
 */
function inputRange(e: InputEvent, view: EditorView): AbstractRange | null {
  const target = e.getTargetRanges()[0];
  if (target) return target;
  const root = view.root as Document | (ShadowRoot & { getSelection?: () => Selection | null });
  const sel = root.getSelection?.() ?? document.getSelection();
  return sel && sel.rangeCount > 0 ? sel.getRangeAt(0) : null;
}

/**
 * Text typed over a selection, or several lines of it at once, applied as a transaction. Left to
 * Chromium's own editing, it splits or merges the line elements and gives them style attributes,
 * which the CSP refuses (a console error each, and at times a stray line break in the text
 * CodeMirror reads back). Plain typing stays on CodeMirror's usual path.
 */
const typeOverSelection = EditorView.domEventHandlers({
  beforeinput(e, view) {
    if (e.inputType !== 'insertText' || e.data == null || view.composing) return false;
    const range = inputRange(e, view);
    if (!range || (range.collapsed && !e.data.includes('\n'))) return false;
    const content = view.contentDOM;
    if (!content.contains(range.startContainer) || !content.contains(range.endContainer)) return false;
    e.preventDefault();
    if (view.state.readOnly) return true;
    const from = view.posAtDOM(range.startContainer, range.startOffset);
    const to = view.posAtDOM(range.endContainer, range.endOffset);
    const insert = view.state.toText(e.data);
    view.dispatch({ changes: { from, to, insert }, selection: { anchor: from + insert.length }, userEvent: 'input.type', scrollIntoView: true });
    return true;
  },
});

/** Everything but what each editor sets itself (its text, read-only state, attributes and schema). */
export function baseExtensions(): Extension[] {
  return [
    lineNumbers(),
    problemField,
    foldGutter(),
    drawSelection(),
    history(),
    indentOnInput(),
    bracketMatching(),
    json(),
    syntaxHighlighting(highlight),
    autocompletion({ override: [schemaCompletions], icons: false }),
    schemaHover,
    typeOverSelection,
    theme,
    EditorState.tabSize.of(2),
    // Tab is left to move focus, as in any form field: the editor must not trap the keyboard.
    keymap.of([...completionKeymap, ...foldKeymap, ...lintKeymap, ...historyKeymap, ...defaultKeymap]),
  ];
}
