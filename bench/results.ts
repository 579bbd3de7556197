/**
 * The JSON the run leaves behind: one file per case (bench/results/<ISO date>-<case>.json: settings,
 * per-sample summaries, per-system statistics and ratios — not every latency) and one summary file
 * (<ISO date>-summary.json: machine, arguments, every case's tables).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Machine } from './env.js';
import type { Table } from './table.js';
import type { SystemSpec } from './system.js';

export interface CaseResult {
  case: number;
  name: string;
  title: string;
  params: Record<string, unknown>;
  systems: Array<Pick<SystemSpec, 'id' | 'label' | 'family' | 'ours' | 'settings'>>;
  /** One entry per sample (round × size × system), small: the figures, not the raw timings. */
  samples: Array<Record<string, unknown>>;
  /** Per system (and size): statistics over the rounds. */
  summary: Array<Record<string, unknown>>;
  /** Ratios taken within each round. */
  ratios: Array<Record<string, unknown>>;
  tables: Table[];
  notes: string[];
  errors: string[];
  startedAt: string;
  seconds: number;
}

export function describeSystem(s: SystemSpec): CaseResult['systems'][number] {
  return { id: s.id, label: s.label, family: s.family, ours: s.ours, settings: s.settings };
}

/** 2025-01-31T12-34-56Z: an ISO date that every file system accepts. */
export function fileStamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

export class ResultWriter {
  constructor(
    readonly dir: string | null,
    readonly stamp: string,
  ) {}

  private write(name: string, data: unknown): string | null {
    if (!this.dir) return null;
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${this.stamp}-${name}.json`);
    fs.writeFileSync(file, JSON.stringify(data, null, 1) + '\n');
    return file;
  }

  writeCase(result: CaseResult): string | null {
    return this.write(`${result.case}-${result.name}`, result);
  }

  writeSummary(data: {
    machine: Machine;
    args: Record<string, unknown>;
    startedAt: string;
    seconds: number;
    cases: CaseResult[];
    files: string[];
  }): string | null {
    return this.write('summary', {
      machine: data.machine,
      args: data.args,
      startedAt: data.startedAt,
      seconds: data.seconds,
      files: data.files,
      cases: data.cases.map((c) => ({
        case: c.case,
        name: c.name,
        title: c.title,
        params: c.params,
        systems: c.systems,
        summary: c.summary,
        ratios: c.ratios,
        notes: c.notes,
        errors: c.errors,
        seconds: c.seconds,
      })),
    });
  }
}
