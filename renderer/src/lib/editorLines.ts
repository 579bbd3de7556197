/** Helpers for the line-numbered JSON editors: which lines carry a marker, and why. */

export interface LineMark {
  line: number;
  column: number | null;
  message: string;
  severity: 'error' | 'warning';
}

export function lineCount(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
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

/** Character offset of a 1-based line and column, to put the caret on a problem. */
export function offsetOf(text: string, line: number, column: number | null): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + Math.max(0, (column ?? 1) - 1));
}
