/**
 * `npm run bench`: our drone against graphile-worker and pg-boss (and the raw-SQL ceiling) on one
 * fresh embedded Postgres, a fresh database per case and system, systems interleaved round by
 * round. Progress on stderr; the tables on stdout; JSON under bench/results/.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { BenchEnv, ROOT, liveChildren, machineInfo, machineLine, now, progress, type Machine } from './env.js';
import type { CaseOptions } from './harness.js';
import { ResultWriter, fileStamp, type CaseResult } from './results.js';
import type { SystemSpec } from './system.js';
import { swarmageSpec, TUNED, type DroneKnobs } from './system-swarmage.js';
import { graphileSpec, GRAPHILE_C50, GRAPHILE_TUNED } from './system-graphile.js';
import { pgBossSpec, PGBOSS_TUNED, type BossTuning } from './system-pgboss.js';
import { rawSqlSpec } from './system-rawsql.js';
import { renderMarkdown, renderText } from './table.js';
import { drainCase } from './case-drain.js';
import { latencyCase } from './case-latency.js';
import { backlogCase } from './case-backlog.js';
import { memoryCase } from './case-memory.js';
import { uiCase } from './case-ui.js';
import { startupCase } from './case-startup.js';
import { pgBouncerPath } from '../test/helpers/pgbouncer.js';

const CASES = ['drain', 'latency', 'backlog', 'memory', 'ui', 'startup'] as const;
type CaseName = (typeof CASES)[number];

const FULL_SIZES: Record<CaseName, number[]> = {
  drain: [20_000, 200_000],
  latency: [200],
  backlog: [50_000, 1_000_000],
  memory: [100_000, 1_000_000],
  ui: [100_000],
  startup: [1],
};

const QUICK_SIZES: Record<CaseName, number[]> = {
  drain: [2_000],
  latency: [30],
  backlog: [5_000, 20_000],
  memory: [5_000, 20_000],
  ui: [5_000],
  startup: [1],
};

const HELP = `Usage: npm run bench -- [options]
       node dist/bench/run.js [options]

Runs the benchmark cases against one fresh embedded Postgres (stock settings, a temporary data
directory), a fresh database per case and system, interleaving the systems round by round.
Progress goes to stderr, the tables to stdout, the JSON to bench/results/<ISO date>-<case>.json
plus <ISO date>-summary.json.

Cases (by number or name):
  1 drain     jobs/s draining N queued no-op jobs (first job handled → queue empty)
  2 latency   idle latency, enqueue commit → handler called, jobs 20 ms apart (p50/p90/p99)
  3 backlog   steady drain rate (counted in the database) with S queued vs a big backlog
  4 memory    the drone's RSS after each size of tasks (one drone, fed continuously)
  5 ui        drain with a UI WebSocket client attached vs without; snapshots/s at the client
  6 startup   spawn \`swarmage drone\` → first task handled: Postgres initialised, and first run

Options:
  --rounds N           rounds per case (default 5; --quick: 2)
  --cases LIST         e.g. 1,2,6 or drain,latency (default: all)
  --sizes CASE=N[,N]   sizes for one case, repeatable, e.g. --sizes drain=20000,200000
                       --sizes backlog=50000,1000000 --sizes memory=100000,1000000
                       --sizes ui=100000 --sizes latency=200 (jobs per round)
                       defaults: ${Object.entries(FULL_SIZES)
                         .filter(([k]) => k !== 'startup')
                         .map(([k, v]) => `${k}=${v.join(',')}`)
                         .join(' ')}
  --quick              a small smoke run: 2 rounds and ${Object.entries(QUICK_SIZES)
    .filter(([k]) => k !== 'startup')
    .map(([k, v]) => `${k}=${v.join(',')}`)
    .join(' ')};
                       results go to a temporary directory unless --out is given
  --systems LIST       only these system ids (e.g. swarmage-tuned-4w,graphile-worker-tuned)
  --memory-rounds N    rounds of case 4 (default 1: a million tasks take a while)
  --cap-seconds S      longest one drain sample may run (default 120)
  --tuned JSON         our drone's tuned knobs, default ${JSON.stringify(TUNED)}
                       (buffer = tasks buffered per type in all, or maxPerWorker; prefetch, concurrency, pollIntervalMs)
  --pgboss-tuned JSON  pg-boss tuning, default ${JSON.stringify(PGBOSS_TUNED)}
  --graphile-tuned JSON  graphile-worker preset.worker options, default
                       ${JSON.stringify(GRAPHILE_TUNED)}
  --port P             port of the benchmark's Postgres (default 55500; case 6 also uses P+1)
  --out DIR            where the JSON goes (default bench/results)
  --no-write           write no JSON
  --markdown           print the tables as Markdown
  --keep               keep the temporary directory (Postgres data, configs, logs)
  -h, --help           this text

System ids: swarmage-{defaults,tuned,batched}-{1,4}w (batched: tuned + batchResults), swarmage-asyncclaims-1w
(the defaults + asyncClaimCommit), swarmage-defaults-gateway-{1,4}w (through swarmage gateway), swarmage-tuned-4w-ui, swarmage-tuned-4w-queueview, graphile-worker-{defaults,tuned,c50},
pg-boss-{defaults,tuned}, raw-sql.

Environment: SWARMAGE_BENCH_BASELINE=<dir of another built checkout> adds "swarmage before" (that
code's drone ×1: tuned in case 1, at its defaults in case 2) as a peer: a change measured before and
after in the same rounds (ids swarmage-baseline-1w, swarmage-baseline-defaults-1w).
SWARMAGE_BENCH_NODE_ARGS adds Node options to our drone processes only, e.g.
  SWARMAGE_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (Node refuses those in NODE_OPTIONS).`;

function usageError(msg: string): never {
  process.stderr.write(`bench: ${msg}\n(see --help)\n`);
  process.exit(2);
}

function parseList(s: string): number[] {
  const out = s.split(',').map((x) => Number(x.replace(/_/g, '').trim()));
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n < 1)) usageError(`expected positive integers, got ${JSON.stringify(s)}`);
  return out;
}

function parseJson<T>(flag: string, s: string): T {
  try {
    return JSON.parse(s) as T;
  } catch (err) {
    usageError(`${flag}: ${(err as Error).message}`);
  }
}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        rounds: { type: 'string' },
        cases: { type: 'string' },
        sizes: { type: 'string', multiple: true },
        quick: { type: 'boolean' },
        systems: { type: 'string' },
        'memory-rounds': { type: 'string' },
        'cap-seconds': { type: 'string' },
        tuned: { type: 'string' },
        'pgboss-tuned': { type: 'string' },
        'graphile-tuned': { type: 'string' },
        port: { type: 'string' },
        out: { type: 'string' },
        'no-write': { type: 'boolean' },
        markdown: { type: 'boolean' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    usageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(HELP + '\n');
    process.exit(0);
  }
  const quick = v.quick ?? false;
  const rounds = v.rounds ? parseList(v.rounds)[0] : quick ? 2 : 5;
  const cases: CaseName[] = [];
  for (const c of (v.cases ?? CASES.join(','))
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const name = /^\d$/.test(c) ? CASES[Number(c) - 1] : (CASES as readonly string[]).includes(c) ? (c as CaseName) : undefined;
    if (!name) usageError(`--cases: unknown case ${JSON.stringify(c)}; use 1–6 or ${CASES.join(', ')}`);
    if (!cases.includes(name)) cases.push(name);
  }
  cases.sort((a, b) => CASES.indexOf(a) - CASES.indexOf(b));
  const sizes: Record<string, number[]> = { ...(quick ? QUICK_SIZES : FULL_SIZES) };
  for (const s of v.sizes ?? []) {
    const m = /^([a-z]+)=(.+)$/.exec(s.trim());
    if (!m || !(CASES as readonly string[]).includes(m[1]))
      usageError(`--sizes: expected CASE=N[,N] with CASE one of ${CASES.join(', ')}, got ${JSON.stringify(s)}`);
    sizes[m[1]] = parseList(m[2]);
  }
  if (sizes.backlog.length < 2) usageError('--sizes backlog= needs two sizes or more: the small queue and the backlog(s)');
  const tuned = v.tuned ? parseJson<DroneKnobs>('--tuned', v.tuned) : TUNED;
  const bossTuned = v['pgboss-tuned'] ? parseJson<BossTuning>('--pgboss-tuned', v['pgboss-tuned']) : PGBOSS_TUNED;
  const graphileTuned = v['graphile-tuned'] ? parseJson<Record<string, unknown>>('--graphile-tuned', v['graphile-tuned']) : { ...GRAPHILE_TUNED };
  const only = v.systems
    ? new Set(
        v.systems
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
    : null;
  const out = v['no-write'] ? null : v.out ? path.resolve(v.out) : quick ? path.join(os.tmpdir(), 'swarmage-bench-quick') : path.join(ROOT, 'bench', 'results');
  return {
    quick,
    rounds,
    cases,
    sizes,
    tuned,
    bossTuned,
    graphileTuned,
    only,
    out,
    memoryRounds: v['memory-rounds'] ? parseList(v['memory-rounds'])[0] : 1,
    capSeconds: v['cap-seconds'] ? parseList(v['cap-seconds'])[0] : 120,
    port: v.port ? parseList(v.port)[0] : 55500,
    markdown: v.markdown ?? false,
    keep: v.keep ?? false,
  };
}

const BASELINE = process.env.SWARMAGE_BENCH_BASELINE ? path.resolve(process.env.SWARMAGE_BENCH_BASELINE) : null;

function baselineCommit(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return path.basename(dir);
  }
}

function allSystems(tuned: DroneKnobs, bossTuned: BossTuning, graphileTuned: Record<string, unknown>): SystemSpec[] {
  const systems = [
    swarmageSpec({ instances: 1, knobs: null }),
    swarmageSpec({ instances: 4, knobs: null }),
    swarmageSpec({ instances: 1, knobs: tuned }),
    swarmageSpec({ instances: 4, knobs: tuned }),
    swarmageSpec({ instances: 4, knobs: tuned, ui: true }),
    swarmageSpec({ instances: 4, knobs: tuned, ui: true, queueView: true }),
    // Tuned, and workers report results in batches: the one knob that trades a guarantee (a task
    // finished just before its worker is killed outright runs again), off by default.
    swarmageSpec({ instances: 1, knobs: { ...tuned, batchResults: true } }),
    swarmageSpec({ instances: 4, knobs: { ...tuned, batchResults: true } }),
    // At the defaults otherwise: an option for latency (case 2).
    swarmageSpec({ instances: 1, knobs: { asyncClaimCommit: true } }),
    // Behind a connection pooler in transaction mode, with and without a direct LISTEN connection.
    ...(pgBouncerPath()
      ? [
          swarmageSpec({ instances: 1, knobs: { ...tuned, pgbouncer: 'listen-direct' } }),
          swarmageSpec({ instances: 1, knobs: { pgbouncer: 'listen-direct' } }),
          swarmageSpec({ instances: 1, knobs: { pgbouncer: 'poll' } }),
        ]
      : []),
    // Without database access, through a gateway (queue.module "remote"): the cost of the extra hop.
    swarmageSpec({ instances: 1, knobs: { gateway: true } }),
    swarmageSpec({ instances: 4, knobs: { gateway: true } }),
    // SWARMAGE_BENCH_BASELINE=<a built checkout>: the same drones from that code, as peers in cases
    // 1 (tuned) and 2 (defaults), so that a change is measured before and after in the same rounds.
    ...(BASELINE
      ? [
          swarmageSpec({
            instances: 1,
            knobs: tuned,
            id: 'swarmage-baseline-1w',
            baseline: { dir: BASELINE, label: `swarmage before (${baselineCommit(BASELINE)})` },
          }),
          swarmageSpec({
            instances: 1,
            knobs: null,
            id: 'swarmage-baseline-defaults-1w',
            baseline: { dir: BASELINE, label: `swarmage defaults before (${baselineCommit(BASELINE)})` },
          }),
        ]
      : []),
    graphileSpec(false),
    graphileSpec(true, graphileTuned),
    graphileSpec(true, GRAPHILE_C50, { id: 'c50', label: 'concurrency 50' }),
    pgBossSpec(false),
    pgBossSpec(true, bossTuned),
    rawSqlSpec(),
  ];
  return systems;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const systems = allSystems(args.tuned, args.bossTuned, args.graphileTuned);
  if (args.only) {
    for (const id of args.only) if (!systems.some((s) => s.id === id)) usageError(`--systems: unknown system ${JSON.stringify(id)}`);
  }
  const started = new Date();
  const t0 = now();
  const writer = new ResultWriter(args.out, fileStamp(started));
  const env = await BenchEnv.create(args.port, args.keep);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress('interrupted: stopping the drones and Postgres…');
    for (const c of liveChildren) c.kill('SIGKILL');
    void env.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results: CaseResult[] = [];
  const files: string[] = [];
  let machine: Machine | null = null;
  try {
    await env.start();
    machine = await machineInfo(env.adminClient);
    const header =
      `swarmage benchmark, ${started.toISOString()}\nmachine: ${machineLine(machine)}\n` +
      `rounds: ${args.rounds}; cases: ${args.cases.join(', ')}; sizes: ${args.cases.map((c) => `${c}=${args.sizes[c].join(',')}`).join(' ')}\n`;
    process.stdout.write(header + '\n');
    progress(`machine: ${machineLine(machine)}; load average ${machine.loadavgAtStart.join(' ')}`);
    const opts: CaseOptions = {
      env,
      rounds: args.rounds,
      sizes: args.sizes,
      capSeconds: args.capSeconds,
      only: args.only,
      systems,
      quick: args.quick,
    };
    for (const c of args.cases) {
      progress(`=== case ${CASES.indexOf(c) + 1}: ${c}`);
      const result =
        c === 'drain'
          ? await drainCase(opts)
          : c === 'latency'
            ? await latencyCase(opts)
            : c === 'backlog'
              ? await backlogCase(opts)
              : c === 'memory'
                ? await memoryCase(opts, args.memoryRounds)
                : c === 'ui'
                  ? await uiCase(opts)
                  : await startupCase(opts);
      results.push(result);
      for (const t of result.tables) process.stdout.write((args.markdown ? renderMarkdown(t) : renderText(t)) + '\n');
      if (result.errors.length) process.stdout.write(`  ${result.errors.length} sample(s) failed; see stderr and the JSON\n\n`);
      const file = writer.writeCase(result);
      if (file) files.push(path.basename(file));
      progress(`case ${c} done in ${result.seconds.toFixed(0)} s${file ? `; ${file}` : ''}`);
    }
  } finally {
    if (!interrupted) await env.stop();
  }
  const seconds = Math.round((now() - t0) / 1000);
  if (machine) {
    const file = writer.writeSummary({
      machine: { ...machine, loadavgAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100) } as Machine,
      args: {
        rounds: args.rounds,
        cases: args.cases,
        sizes: args.sizes,
        quick: args.quick,
        systems: args.only ? [...args.only] : 'all',
        memoryRounds: args.memoryRounds,
        capSeconds: args.capSeconds,
        tuned: args.tuned,
        pgbossTuned: args.bossTuned,
        graphileTuned: args.graphileTuned,
      },
      startedAt: started.toISOString(),
      seconds,
      cases: results,
      files,
    });
    if (file) files.push(path.basename(file));
  }
  progress(`done in ${seconds} s${files.length ? `; wrote ${files.join(', ')} in ${args.out}` : ''}`);
  const failed = results.reduce((n, r) => n + r.errors.length, 0);
  if (failed) {
    progress(`${failed} sample(s) failed`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
  for (const c of liveChildren) c.kill('SIGKILL');
  process.exit(1);
});
