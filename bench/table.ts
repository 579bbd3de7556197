/** Plain-text tables for stdout (and Markdown tables for docs/performance.md, same content). */
import type { Summary } from './stats.js';

/** 41,234 — or 1.23 / 0.0123 for small values; "—" for nothing. */
export function fmt(x: number | null | undefined, digits?: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const abs = Math.abs(x);
  const d = digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** "median (min–max)". */
export function fmtSummary(s: Summary | null | undefined, digits?: number, unit = ''): string {
  if (!s || s.n === 0) return '—';
  if (s.n === 1) return `${fmt(s.median, digits)}${unit}`;
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

export function fmtRatio(s: Summary | null | undefined): string {
  if (!s || s.n === 0) return '—';
  if (s.n === 1) return `${fmt(s.median, 2)}×`;
  return `${fmt(s.median, 2)}× (${fmt(s.min, 2)}–${fmt(s.max, 2)})`;
}

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  /** Lines under the table: what was measured, how, settings. */
  notes?: string[];
}

/** Right-aligns columns whose cells start with a digit (numbers), left-aligns the rest. */
export function renderText(t: Table): string {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const numeric = t.columns.map((_, i) => t.rows.length > 0 && t.rows.every((r) => /^[\d—(]/.test(r[i] ?? '')));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [t.title, line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)];
  for (const n of t.notes ?? []) out.push(`  ${n}`);
  return out.join('\n') + '\n';
}

export function renderMarkdown(t: Table): string {
  const numeric = t.columns.map((_, i) => t.rows.length > 0 && t.rows.every((r) => /^[\d—(]/.test(r[i] ?? '')));
  const out = [
    `**${t.title}**`,
    '',
    `| ${t.columns.join(' | ')} |`,
    `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  if (t.notes?.length) out.push('', ...t.notes.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}
