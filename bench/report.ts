/**
 * Prints the tables of a finished run again, from its JSON: `node dist/bench/report.js
 * bench/results/<ISO date>-summary.json [--markdown]` (docs/performance.md is made this way).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CaseResult } from './results.js';
import { renderMarkdown, renderText } from './table.js';

const args = process.argv.slice(2);
const markdown = args.includes('--markdown');
const file = args.find((a) => !a.startsWith('--'));
if (!file || args.includes('--help') || args.includes('-h')) {
  process.stdout.write('Usage: node dist/bench/report.js bench/results/<ISO date>-summary.json [--markdown]\n');
  process.exit(file ? 0 : 2);
}
const summary = JSON.parse(fs.readFileSync(file, 'utf8')) as {
  machine: Record<string, unknown>;
  startedAt: string;
  seconds: number;
  files: string[];
  args: unknown;
};
const m = summary.machine;
process.stdout.write(
  `${markdown ? '' : '# '}run of ${summary.startedAt}, ${Math.round(summary.seconds / 60)} min; ` +
    `${m.arch}, nproc ${m.nproc} (${m.cpu}), Node ${m.node}, ${m.postgres}; code ${m.git}; ` +
    `load average ${(m.loadavgAtStart as number[]).join(' ')} at the start, ${((m.loadavgAtEnd as number[] | undefined) ?? []).join(' ')} at the end\n\n`,
);
for (const name of summary.files) {
  if (name.endsWith('-summary.json')) continue;
  const c = JSON.parse(fs.readFileSync(path.join(path.dirname(file), path.basename(name)), 'utf8')) as CaseResult;
  for (const t of c.tables) process.stdout.write((markdown ? renderMarkdown(t) : renderText(t)) + '\n');
  if (c.errors.length)
    process.stdout.write(`${c.errors.length} sample(s) of case ${c.case} failed:\n${c.errors.map((e) => `  ${e.split('\n')[0]}`).join('\n')}\n\n`);
}
