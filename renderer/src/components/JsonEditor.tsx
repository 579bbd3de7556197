import { useEffect, useRef, type RefObject } from 'react';
import { Annotation, Compartment, EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import type { LineMark } from '../lib/editorLines.js';
import { baseExtensions, LINE_PX, problemsUpdate, schemaFacet } from './jsonEditorSetup.js';

/** What `editorRef` holds: the CodeMirror view, for `goToLine`. */
export type JsonEditorHandle = EditorView;

interface Props {
  id: string;
  value: string;
  onChange: (text: string) => void;
  marks: readonly LineMark[];
  testId: string;
  rows?: number;
  readOnly?: boolean;
  describedBy?: string;
  editorRef?: RefObject<JsonEditorHandle | null>;
  /** A JSON Schema for the text: completion (Ctrl-Space) and docs on hover. */
  schema?: unknown;
}

/** A change made from the `value` prop, not by the user: not echoed back through onChange. */
const fromProps = Annotation.define<boolean>();

function testIdOf(testId: string) {
  return EditorView.contentAttributes.of({ 'data-testid': testId });
}

/**
 * The label and description outside the editor's shadow root, where id references (label for=,
 * aria-describedby) cannot reach: ARIA element reflection can, and aria-label backs it up.
 */
function linkLabels(content: HTMLElement, id: string, describedBy: string | undefined): void {
  const label = document.querySelector(`label[for="${CSS.escape(id)}"]`);
  const described = describedBy ? document.getElementById(describedBy) : null;
  content.setAttribute('aria-label', label?.textContent?.trim() ?? '');
  content.ariaLabelledByElements = label ? [label] : null;
  content.ariaDescribedByElements = described ? [described] : null;
}

/**
 * A CodeMirror 6 JSON editor: highlighting, bracket matching, folding, line numbers, the marks'
 * problems as gutter markers and underlines, and, given a schema, completion and hover docs.
 *
 * It lives in a shadow root because CodeMirror styles itself at run time: in a document it would
 * add a <style> element, which the CSP (style-src 'self') refuses, while in a shadow root it uses a
 * constructed stylesheet, which the CSP does not govern. The theme uses the app's colour variables,
 * which inherit into the shadow root.
 */
export function JsonEditor({ id, value, onChange, marks, testId, rows = 14, readOnly, describedBy, editorRef, schema }: Props) {
  const hostRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const compartments = useRef({ readOnly: new Compartment(), testId: new Compartment(), schema: new Compartment() }).current;
  // Read at creation only; later changes go through the effects below.
  const initial = useRef({ value, readOnly, testId, schema }).current;

  useEffect(() => {
    const host = hostRef.current!;
    const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
    const view = new EditorView({
      parent: root,
      state: EditorState.create({
        doc: initial.value,
        extensions: [
          baseExtensions(),
          compartments.readOnly.of(EditorState.readOnly.of(!!initial.readOnly)),
          compartments.testId.of(testIdOf(initial.testId)),
          compartments.schema.of(schemaFacet.of(initial.schema ?? null)),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !u.transactions.some((tr) => tr.annotation(fromProps))) onChangeRef.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    viewRef.current = view;
    if (editorRef) editorRef.current = view;
    return () => {
      view.destroy();
      viewRef.current = null;
      if (editorRef) editorRef.current = null;
    };
  }, [compartments, initial, editorRef]);

  useEffect(() => {
    const view = viewRef.current!;
    if (view.state.doc.toString() !== value) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value }, annotations: fromProps.of(true) });
  }, [value]);

  // Compared by content: callers build a new array on every render.
  const marksKey = JSON.stringify(marks);
  useEffect(() => {
    const view = viewRef.current!;
    for (const spec of problemsUpdate(view.state, JSON.parse(marksKey) as LineMark[])) view.dispatch(spec);
  }, [marksKey]);

  // One effect each: reconfiguring recomputes the whole configuration, so only on a real change.
  useEffect(() => {
    viewRef.current!.dispatch({ effects: compartments.readOnly.reconfigure(EditorState.readOnly.of(!!readOnly)) });
  }, [compartments, readOnly]);
  useEffect(() => {
    viewRef.current!.dispatch({ effects: compartments.testId.reconfigure(testIdOf(testId)) });
  }, [compartments, testId]);
  useEffect(() => {
    viewRef.current!.dispatch({ effects: compartments.schema.reconfigure(schemaFacet.of(schema ?? null)) });
  }, [compartments, schema]);

  useEffect(() => linkLabels(viewRef.current!.contentDOM, id, describedBy), [id, describedBy]);

  // The rows, the content's padding (8 px above and below) and the frame's border.
  return <div ref={hostRef} id={id} className="editor-frame" style={{ height: rows * LINE_PX + 16 + 2 }} />;
}

/** Puts the caret on a problem (1-based line and column) and scrolls its line into view. */
export function goToLine(view: JsonEditorHandle | null, line: number, column: number | null): void {
  if (!view) return;
  const doc = view.state.doc;
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  const at = Math.min(l.to, l.from + Math.max(0, (column ?? 1) - 1));
  view.dispatch({ selection: { anchor: at }, effects: EditorView.scrollIntoView(at, { y: 'center' }) });
  view.focus();
}
