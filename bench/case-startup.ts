/**
 * Case 6, start-up: from spawning `swarmage drone` (no SWARMAGE_DATABASE_URL, no connectionString:
 * the embedded-Postgres path users get by default) to its first task handled.
 *   initialised: SWARMAGE_HOME is the run's own, whose embedded Postgres is running and whose schema
 *     exists (a warm-up start, not counted, made sure); one task waits in the queue; a fresh local
 *     queue file each time (a new drone on a machine already set up).
 *   first run: an empty SWARMAGE_HOME, so the drone runs initdb, starts Postgres and migrates; the
 *     benchmark enqueues one task as soon as the schema exists (polling every 20 ms). Also timed:
 *     spawn → the drone's "running" log line.
 * The first task handled is noted by the worker (its work() call), a moment after the claim.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PgQueue } from '../core/queue/pg/pgQueue.js';
import { embeddedUrl, stopEmbedded } from '../core/db/embedded.js';
import { FIXTURES, now, progress, sleep } from './env.js';
import { CaseRecorder, Series, type CaseOptions } from './harness.js';
import type { CaseResult } from './results.js';
import { summarize } from './stats.js';
import { fmt, fmtSummary } from './table.js';
import { spawnDrone } from './system-swarmage.js';
import { JOB } from './system.js';
import { Curve, ProgressFiles } from './tally.js';

const SCHEMA = 'bench_startup';

function droneEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SWARMAGE_HOME: home };
  delete env.SWARMAGE_DATABASE_URL;
  return env;
}

function writeConfig(dir: string, port: number): string {
  const file = path.join(dir, 'swarmage.config.json');
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        queue: { config: { schema: SCHEMA, embedded: { port } } },
        workers: { [JOB]: { module: path.join(FIXTURES, 'noop.js'), config: { dir } } },
        localQueue: { path: path.join(dir, 'local.sqlite') },
      },
      null,
      2,
    ),
  );
  return file;
}

async function firstJob(dir: string, timeoutMs: number, problem: () => string | null): Promise<number> {
  const files = new ProgressFiles(dir);
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    files.poll();
    const first = new Curve(files.all()).first;
    if (first !== null) return first;
    const p = problem();
    if (p) throw new Error(p);
    await sleep(2);
  }
  throw new Error(`no task handled within ${timeoutMs} ms`);
}

export async function startupCase(opts: CaseOptions): Promise<CaseResult> {
  const { env } = opts;
  const rec = new CaseRecorder(
    6,
    'startup',
    'Start-up: spawn `swarmage drone` → first task handled (embedded Postgres)',
    {
      rounds: opts.rounds,
      firstRunRounds: opts.rounds,
      method:
        'initialised: Postgres running, schema migrated, a warm-up start not counted, fresh local queue; first run: empty SWARMAGE_HOME (initdb, start, migrate).',
    },
    [],
  );
  const toFirst = new Series();
  const toRunning = new Series();
  const toStarting = new Series();

  // Initialised.
  const queue = new PgQueue({ connectionString: env.baseUrl, schema: SCHEMA, poolSize: 2 });
  try {
    await queue.migrate();
    for (let r = 0; r <= opts.rounds; r++) {
      const where = `case 6 startup initialised · ${r === 0 ? 'warm-up' : `round ${r}/${opts.rounds}`}`;
      try {
        await queue.pool.query(`TRUNCATE ${SCHEMA}.tasks`);
        await queue.enqueue([{ type: JOB, data: { n: r } }]);
        const dir = env.scratch('startup');
        const file = writeConfig(dir, env.port);
        const t0 = now();
        const drone = spawnDrone(file, droneEnv(env.home));
        try {
          const starting = drone.waitFor(/drone \S+ starting/);
          const running = drone.waitFor(/drone \S+ running on/);
          const first = await firstJob(dir, 60_000, () => (drone.proc.exitCode !== null ? drone.output().slice(-3000) : null));
          const runningAt = (await running).t;
          const startingAt = (await starting).t;
          if (r > 0) {
            toFirst.add('initialised', r, first - t0);
            toRunning.add('initialised', r, runningAt - t0);
            toStarting.add('initialised', r, startingAt - t0);
            rec.sample({ round: r, kind: 'initialised', toFirstTaskMs: first - t0, toRunningLineMs: runningAt - t0, toStartingLineMs: startingAt - t0 });
          }
          progress(
            `${where}: first task after ${fmt(first - t0, 0)} ms ("starting" line after ${fmt(startingAt - t0, 0)} ms, "running" after ${fmt(runningAt - t0, 0)} ms)`,
          );
        } finally {
          await drone.stop();
        }
      } catch (err) {
        rec.error(where, err);
      }
    }
  } finally {
    await queue.pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
    await queue.close();
  }

  // First run.
  const port = env.port + 1;
  for (let r = 1; r <= opts.rounds; r++) {
    const where = `case 6 startup first run · round ${r}/${opts.rounds}`;
    const dir = env.scratch('firstrun');
    const home = path.join(dir, 'home');
    fs.mkdirSync(home, { mode: 0o755 });
    fs.chmodSync(home, 0o755);
    let drone: ReturnType<typeof spawnDrone> | null = null;
    try {
      const file = writeConfig(dir, port);
      const t0 = now();
      drone = spawnDrone(file, droneEnv(home));
      const d = drone;
      const problem = () => (d.proc.exitCode !== null ? d.output().slice(-3000) : null);
      const running = drone.waitFor(/drone \S+ running on/, 120_000);
      running.catch(() => {});
      const starting = drone.waitFor(/drone \S+ starting/, 120_000);
      starting.catch(() => {});
      // Enqueue as soon as the drone has created the schema.
      const credFile = path.join(home, 'postgres.credentials.json');
      let enqueuedAt = NaN;
      const deadline = now() + 120_000;
      while (now() < deadline) {
        const p = problem();
        if (p) throw new Error(p);
        if (fs.existsSync(credFile)) {
          const creds = JSON.parse(fs.readFileSync(credFile, 'utf8')) as { user: string; password: string };
          const c = new pg.Client({ connectionString: embeddedUrl(creds, path.join(home, 'postgres'), port), connectionTimeoutMillis: 2000 });
          c.on('error', () => {});
          try {
            await c.connect();
            const ready = (await c.query(`SELECT to_regprocedure('${SCHEMA}.enqueue(text,jsonb,text,integer,timestamptz,integer)') IS NOT NULL AS ok`)).rows[0]
              .ok;
            if (ready) {
              await c.query(`SELECT ${SCHEMA}.enqueue($1, '{"n":0}'::jsonb)`, [JOB]);
              enqueuedAt = now();
              break;
            }
          } catch {
            /* not up yet */
          } finally {
            await c.end().catch(() => {});
          }
        }
        await sleep(20);
      }
      if (Number.isNaN(enqueuedAt)) throw new Error('the drone never created its schema');
      const first = await firstJob(dir, 120_000, problem);
      const runningAt = (await running).t;
      const startingAt = (await starting).t;
      toFirst.add('first run', r, first - t0);
      toRunning.add('first run', r, runningAt - t0);
      toStarting.add('first run', r, startingAt - t0);
      rec.sample({
        round: r,
        kind: 'first run',
        toFirstTaskMs: first - t0,
        toRunningLineMs: runningAt - t0,
        toStartingLineMs: startingAt - t0,
        enqueuedAfterMs: enqueuedAt - t0,
      });
      progress(`${where}: running after ${fmt(runningAt - t0, 0)} ms, first task after ${fmt(first - t0, 0)} ms (enqueued at ${fmt(enqueuedAt - t0, 0)} ms)`);
    } catch (err) {
      rec.error(where, err);
    } finally {
      await drone?.stop();
      await stopEmbedded({ dataDir: path.join(home, 'postgres') }).catch((err) => rec.error(`${where}: stopping its Postgres`, err));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  const rows: string[][] = [];
  for (const kind of ['initialised', 'first run']) {
    const f = summarize(toFirst.values(kind));
    const g = summarize(toRunning.values(kind));
    const h = summarize(toStarting.values(kind));
    rec.result.summary.push({ kind, toFirstTaskMs: f, toRunningLineMs: g, toStartingLineMs: h });
    rows.push([kind, fmtSummary(f, 0), fmtSummary(h, 0), fmtSummary(g, 0)]);
  }
  rec.table({
    title: `Case 6 — start-up, ms: median (min–max) of ${opts.rounds} rounds`,
    columns: ['embedded Postgres', 'spawn → first task handled', 'spawn → "starting" line', 'spawn → "running" line'],
    rows,
    notes: [
      '"starting": config loaded, database resolved (the embedded Postgres reached, or initialised and started on a first run), local queue open; "running": workers spawned and ready, schema migrated, claiming.',
    ],
  });
  return rec.finish();
}
