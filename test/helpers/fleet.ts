import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type pg from 'pg';
import { spawnDrone } from './drone.js';
import { sleep, waitFor } from './tmp.js';
import { RESULTS_DIR, unsettled } from './faults.js';
import { SwarmageClient } from '../../core/swarmageClient.js';
import type { NewTask } from '../../core/queue/types.js';

export interface FleetDrone {
  name: string;
  dir: string;
  proc: ChildProcess;
  pid: number;
  output: () => string;
  /** Resolves with how the process ended: an exit code, or the signal that killed it. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive: boolean;
  /** It did not stop within stopAll's timeout and was killed (not a kill the scenario meant). */
  stuck?: boolean;
}

/** Drones as real `swarmage drone` processes, with a record of which ones died by SIGKILL. */
export class Fleet {
  readonly drones: FleetDrone[] = [];
  /** Pids of drones that were killed (by the test, or by their own fault point). */
  readonly killedPids = new Set<number>();
  kills = 0;

  /** `label` names its log files: test-results/faults/logs/<label>-<n>-<drone>.log. */
  constructor(
    private readonly url: string,
    readonly label = 'fleet',
  ) {}

  start(name: string, dir: string, config: Record<string, unknown>, opts: { env?: Record<string, string>; args?: string[]; url?: string } = {}): FleetDrone {
    const p = spawnDrone(opts.url ?? this.url, dir, config, opts);
    const d: FleetDrone = {
      name,
      dir,
      proc: p.proc,
      pid: p.proc.pid!,
      output: p.output,
      alive: true,
      ended: new Promise((resolve) => p.proc.on('exit', (code, signal) => resolve({ code, signal }))),
    };
    void d.ended.then(({ signal }) => {
      d.alive = false;
      if (signal === 'SIGKILL' && !d.stuck) {
        this.killedPids.add(d.pid);
        this.kills++;
      }
    });
    this.drones.push(d);
    return d;
  }

  async kill(d: FleetDrone): Promise<void> {
    if (d.alive) d.proc.kill('SIGKILL');
    await d.ended;
  }

  /**
   * Stops every drone still alive gracefully; returns how each ended (code 0 expected). A drone that
   * has not exited after `timeoutMs` is SIGKILLed and says so (its signal), so that a drone that
   * cannot stop fails the round instead of hanging the suite.
   */
  async stopAll(timeoutMs = 120_000): Promise<Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }>> {
    const alive = this.drones.filter((d) => d.alive);
    // A drone just started may not have its signal handlers yet, and a SIGTERM would end it by the
    // signal: a stop is clean only once it runs (or, failing that, after a while anyway).
    await Promise.all(alive.map((d) => running(d).catch(() => {})));
    for (const d of alive) d.proc.kill('SIGTERM');
    return Promise.all(
      alive.map(async (d) => {
        const timer = setTimeout(() => {
          d.stuck = true;
          d.proc.kill('SIGKILL');
        }, timeoutMs);
        const end = await d.ended;
        clearTimeout(timer);
        return { name: d.name, ...end };
      }),
    );
  }

  /** Keeps every drone's output in test-results/faults/logs/ (CI keeps test-results/). */
  saveLogs(prefix = this.label): void {
    const dir = path.join(RESULTS_DIR, 'logs');
    fs.mkdirSync(dir, { recursive: true });
    for (const [i, d] of this.drones.entries()) fs.writeFileSync(path.join(dir, `${prefix}-${i + 1}-${d.name}.log`), d.output());
  }

  /** Last resort in after(): nothing may outlive the test. */
  killAll(): void {
    for (const d of this.drones) if (d.alive) d.proc.kill('SIGKILL');
  }
}

/** Enqueues in chunks of 5,000 (one statement each) on a fresh client; returns the ids in order. */
export async function enqueueAll(url: string, schema: string, tasks: NewTask[]): Promise<string[]> {
  const client = await SwarmageClient.connect({ connectionString: url, schema });
  try {
    const ids: string[] = [];
    for (let i = 0; i < tasks.length; i += 5000) ids.push(...(await client.enqueueMany(tasks.slice(i, i + 5000))));
    return ids;
  } finally {
    await client.close();
  }
}

/**
 * Tasks arriving all along (10 every 100 ms, on a client of its own straight to Postgres) while a
 * scenario's faults hit the drones; their ids are pushed to `ids`. stop() ends it.
 */
export function steadyProducer(url: string, schema: string, task: () => NewTask, ids: string[]): { stop(): Promise<void> } {
  let producing = true;
  const done = (async () => {
    const client = await SwarmageClient.connect({ connectionString: url, schema });
    try {
      while (producing) {
        ids.push(...(await client.enqueueMany(Array.from({ length: 10 }, task))));
        await sleep(100);
      }
    } finally {
      await client.close();
    }
  })();
  return {
    stop() {
      producing = false;
      return done;
    },
  };
}

/**
 * Waits until every task of the schema is answered or failed for good. False on timeout (the
 * accounting then says what is stuck), or as soon as `keepWaiting` says to stop.
 */
export async function settled(sql: pg.Client, schema: string, postback: string, timeoutMs: number, keepWaiting: () => boolean = () => true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await unsettled(sql, schema, postback)) === 0) return true;
    if (Date.now() > deadline || !keepWaiting()) return false;
    await sleep(100);
  }
}

/** Resolves when the drone logs that it runs, or rejects when it exits first. */
export async function running(d: FleetDrone, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!/drone \S+ running on/.test(d.output())) {
    if (!d.alive) throw new Error(`drone ${d.name} exited before running:\n${d.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`drone ${d.name} did not start within ${timeoutMs} ms:\n${d.output().slice(-3000)}`);
    await sleep(25);
  }
}

/**
 * The UI of a drone started with `--ui`: its /api address and token, from the login URL it printed
 * (the token is on no command line; a tool sends it as a Bearer header).
 */
export async function uiOf(d: FleetDrone): Promise<{ api: string; token: string }> {
  const m = await waitFor(`the UI address of ${d.name}`, () => /operator UI on (https?:\/\/\S+)/.exec(d.output()));
  const login = new URL(m[1]);
  const token = login.searchParams.get('token');
  if (!token) throw new Error(`drone ${d.name} printed a UI address without a token: ${m[1]}`);
  return { api: `${login.protocol === 'https:' ? 'wss' : 'ws'}://${login.host}/api`, token };
}
