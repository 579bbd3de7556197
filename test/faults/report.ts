/**
 * Writes the figures of the last full fault-suite run (test-results/faults/full/*.json) into
 * docs/reliability.md, between the "figures" markers; the rest of that file is prose kept by hand.
 * Run by `npm run test:faults` after the suite: node dist/test/faults/report.js
 *
 * node --test also loads every file under test/ as a test file: it sets NODE_TEST_CONTEXT, and then
 * this script does nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESULTS_ROOT } from '../helpers/faults.js';

/** The figures of a full run, unless FAULT_SCALE says otherwise. */
const RESULTS_DIR = path.join(RESULTS_ROOT, process.env.FAULT_SCALE === 'small' ? 'small' : 'full');

interface ScenarioFigures {
  scenario: string;
  title: string;
  seed: number;
  scale: string;
  roundsAsked: number;
  rounds: number;
  tasksEnqueued: number;
  completedOnce: number;
  failedAsExpected: number;
  duplicates: number;
  lost: number;
  stuck: number;
  wrong: number;
  kills: number;
  recoveryMs: number[];
  rescueMs: number[];
  badInputsTried: number;
  badInputsRejected: number;
  notes: string[];
  extra: Record<string, unknown>;
  durationMs: number;
  finishedAt: string;
  machine: { arch: string; cpus: number; node: string };
}

const ORDER = [
  'kill-restart',
  'rescue',
  'swarm',
  'pg-restart',
  'pg-crash',
  'pg-crash-async-claims',
  'network',
  'gateway',
  'workers',
  'local-queue',
  'slow-consumer',
  'bad-input',
];
const DOC = path.resolve(import.meta.dirname, '../../../docs/reliability.md');
const START = '<!-- figures:start (written by test/faults/report.ts; do not edit by hand) -->';
const END = '<!-- figures:end -->';

const n = (x: number) => x.toLocaleString('en');
function spread(ms: number[]): string {
  if (ms.length === 0) return '—';
  const s = [...ms].sort((a, b) => a - b);
  const med = s[Math.floor((s.length - 1) / 2)];
  return `median ${(med / 1000).toFixed(1)} s, max ${(s.at(-1)! / 1000).toFixed(1)} s (n=${s.length})`;
}

export function render(all: ScenarioFigures[], command: string): string {
  const machine = all[0]?.machine ?? { arch: os.machine(), cpus: os.cpus().length, node: process.version };
  const sum = (k: keyof ScenarioFigures) => all.reduce((t, f) => t + (f[k] as number), 0);
  const lines: string[] = [
    START,
    `Run of ${new Date(Math.max(...all.map((f) => Date.parse(f.finishedAt)))).toISOString().slice(0, 16).replace('T', ' ')} UTC on ` +
      `${machine.arch}, ${machine.cpus} cores, Node ${machine.node}; command \`${command}\`; ` +
      `scale ${[...new Set(all.map((f) => f.scale))].join('/')}, ${[...new Set(all.map((f) => f.roundsAsked))].join('/')} rounds per scenario; ` +
      `${(sum('durationMs') / 60_000).toFixed(1)} minutes in all.`,
    '',
    "| scenario | rounds | seed | tasks enqueued | completed once | failed as meant | duplicates (in flight at a kill; claims a crash took, with asyncClaimCommit) | lost | stuck | kills | recovery after Postgres / network / gateway came back | rescue of a dead drone's tasks | bad inputs tried / rejected |",
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|',
  ];
  for (const f of all) {
    lines.push(
      `| ${f.title} | ${f.rounds} | ${f.seed} | ${n(f.tasksEnqueued)} | ${n(f.completedOnce)} | ${n(f.failedAsExpected)} | ${n(f.duplicates)} | ` +
        `${f.lost} | ${f.stuck} | ${f.kills} | ${spread(f.recoveryMs)} | ${f.rescueMs.length ? `${spread(f.rescueMs)}, lease ${(Number(f.extra.leaseMs) / 1000).toFixed(1)} s` : '—'} | ` +
        `${f.badInputsTried ? `${n(f.badInputsTried)} / ${n(f.badInputsRejected)}` : '—'} |`,
    );
  }
  lines.push(
    `| **all** | ${sum('rounds')} | | ${n(sum('tasksEnqueued'))} | ${n(sum('completedOnce'))} | ${n(sum('failedAsExpected'))} | ${n(sum('duplicates'))} | ` +
      `**${sum('lost')}** | **${sum('stuck')}** | ${sum('kills')} | | | ${n(sum('badInputsTried'))} / ${n(sum('badInputsRejected'))} |`,
  );
  lines.push('', 'Details per scenario (from test-results/faults/<scale>/*.json):', '');
  for (const f of all) {
    const details: string[] = [];
    if (f.wrong) details.push(`**${f.wrong} wrong outcome(s)**`);
    for (const [k, v] of Object.entries(f.extra)) {
      if (k === 'leaseMs') continue;
      if (k === 'memory' && Array.isArray(v)) {
        const rows = v as Array<Record<string, number>>;
        details.push(
          `drone RSS per round (start → peak of 2nd quarter → peak of 2nd half → end, MB): ${rows.map((m) => `${m.rssStartMb} → ${m.rssWarmPeakMb} → ${m.rssLatePeakMb} → ${m.rssEndMb}`).join('; ')}; ` +
            `most tasks in the drone's buffer at once (its snapshot): ${Math.max(...rows.map((m) => m.maxBuffered))} for a capacity of ${f.extra.capacity}; ` +
            `most outcomes waiting for their acknowledgement: ${Math.max(...rows.map((m) => m.maxOutbox))}; most tasks Postgres counted as claimed by the drone: ${Math.max(...rows.map((m) => m.maxHeld))} ` +
            `(buffer + outbox); backlog left for the fast drone: ${rows.map((m) => m.backlogAtEnd).join(', ')}`,
        );
      } else if (k === 'capacity' || k === 'seconds') continue;
      else details.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
    for (const note of f.notes) details.push(note);
    lines.push(`- **${f.scenario}** (${(f.durationMs / 1000).toFixed(0)} s): ${details.join('; ') || 'nothing further'}`);
  }
  lines.push(END);
  return lines.join('\n');
}

function main(): void {
  const files = fs.existsSync(RESULTS_DIR) ? fs.readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json')) : [];
  if (files.length === 0) throw new Error(`no figures in ${RESULTS_DIR}: run the suite first (npm run test:faults)`);
  const all = files
    .map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, f), 'utf8')) as ScenarioFigures)
    .sort((a, b) => (ORDER.indexOf(a.scenario) + 1 || 99) - (ORDER.indexOf(b.scenario) + 1 || 99));
  const command = process.env.FAULT_COMMAND ?? 'npm run test:faults';
  const block = render(all, command);
  const doc = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : `# Reliability\n\n${START}\n${END}\n`;
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  const next = from >= 0 && to > from ? doc.slice(0, from) + block + doc.slice(to + END.length) : `${doc.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(DOC, next);
  console.log(`wrote the figures of ${all.length} scenario(s) to ${DOC}`);
}

if (!process.env.NODE_TEST_CONTEXT) main();
