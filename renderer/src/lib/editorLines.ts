/** Helpers for the JSON editors' problem markers: which lines carry one, and what text it underlines. */

export interface LineMark {
  line: number;
  column: number | null;
  message: string;
  severity: 'error' | 'warning';
}

/** Marks grouped by line; an error beats a warning on the same line. */
export function marksByLine(marks: readonly LineMark[]): Map<number, LineMark[]> {
  const out = new Map<number, LineMark[]>();
  for (const m of marks) {
    const list = out.get(m.line);
    if (list) list.push(m);
    else out.set(m.line, [m]);
  }
  for (const list of out.values()) list.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return out;
}

/** A JSON token: a string (escapes included), a bare word or number, or any single character. */
const TOKEN = /^(?:"(?:[^"\\\n]|\\.)*"?|[\w.+-]+|\S)/;

/**
 * The part of a line a problem underlines, as offsets into the line: the token at its column, or
 * the whole line when the checker gives no column. Columns are 1-based, as the checker reports them;
 * one past the end of the line points at the line's end.
 */
export function problemSpan(lineText: string, column: number | null): { start: number; end: number } {
  if (column == null) return { start: 0, end: lineText.length };
  const start = Math.min(lineText.length, Math.max(0, column - 1));
  const token = TOKEN.exec(lineText.slice(start));
  return { start, end: start + (token ? token[0].length : 0) };
}
