import path from 'node:path';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import type pg from 'pg';
import { freshSchema, sqlClient, testDatabaseUrl } from './db.js';
import { FIXTURES, tmpDir } from './tmp.js';
import { Figures, account, roundRng, runSeed, type Accounting, type Rng } from './faults.js';
import { Fleet, settled, uiOf, type FleetDrone } from './fleet.js';
import { ApiSocket, bearer } from './service.js';
import type { ConfigInput } from '../../core/config/schema.js';

export interface ScenarioOptions {
  /** The scenario's Postgres; by default the shared test server (pg-restart runs one of its own). */
  database?: () => Promise<string>;
  /** The assertion client is cut on purpose (Postgres restarts): its errors are ignored, and so is a failed end(). */
  cutOnPurpose?: boolean;
  /** Last of all, once the client has ended: stopping a Postgres of the scenario's own, say. */
  afterAll?: () => unknown;
}

export interface Scenario {
  readonly name: string;
  readonly seed: number;
  readonly fig: Figures;
  /** The database, once before() has run. */
  readonly url: string;
  /** The assertion client, once before() has run; a scenario that cuts it may replace it (see connect()). */
  sql: pg.Client;
  /** Every fleet of the scenario, in the order they were made. */
  readonly fleets: readonly Fleet[];
  /** A new assertion client on the scenario's database. */
  connect(): Promise<pg.Client>;
  /** A fleet whose drones are killed, and their logs kept, after the scenario. */
  fleet(label: string): Fleet;
  /** The WebSocket API of a drone started with `--ui`; closed after the scenario. */
  api(d: FleetDrone): Promise<ApiSocket>;
  /** Extra cleanup and figures, run in after() once the drones are dead and before the figures are saved. */
  atEnd(fn: () => unknown): void;
  /** What every round starts with: see Round. */
  round(round: number): Round;
}

/** A worker of test/fixtures/workers/ledger.js, which writes every run to `runs`. */
export interface LedgerWorker {
  module: string;
  config: Record<string, unknown>;
}

export interface Round {
  /** The round's own random sequence (roundRng). */
  r: Rng;
  schema: string;
  /** A fresh directory, holding `runs`. */
  dir: string;
  /** The ledger file: one line per finished run (see account()). */
  runs: string;
  /** A ledger worker writing to `runs`, with more of its config (next, delayScale). */
  ledger(config?: Record<string, unknown>): LedgerWorker;
  /** A drone config on the round's schema, polling at `pollIntervalMs`, with its local queue in its directory. */
  droneConfig(config: DroneConfig): ConfigInput;
  /**
   * The end of a round whose tasks all carry the postback "done": waits (up to `timeoutMs`) until
   * every task is settled, stops the fleet's drones gracefully, accounts for every task of `ids`
   * (the ledger `runs`; `expectFailed` as account() takes it) and adds the round, its kills and its
   * accounting to the figures. The caller asserts on what it returns.
   */
  settle(fleet: Fleet, ids: string[], timeoutMs: number, expectFailed?: Map<string, RegExp>): Promise<Settled>;
}

export interface Settled {
  /** False when some task was still not settled at the timeout. */
  ok: boolean;
  stopped: Awaited<ReturnType<Fleet['stopAll']>>;
  a: Accounting;
}

/**
 * What a round in which no drone was killed must end with: every task settled and answered exactly
 * once, nothing lost, stuck, wrong or run twice, and every drone stopped cleanly (exit 0).
 */
export function assertEveryTaskOnce({ ok, stopped, a }: Settled, ids: string[], drones: FleetDrone[]): void {
  assert.deepEqual(a.lost, [], 'lost');
  assert.deepEqual(a.stuck, [], 'stuck');
  assert.ok(ok, `not every task settled:\n${drones[0].output().slice(-3000)}`);
  assert.deepEqual(
    stopped.map((s) => s.code),
    drones.map(() => 0),
  );
  assert.deepEqual(a.wrong, [], 'wrong outcomes');
  assert.equal(a.duplicates, 0, 'no task ran twice');
  assert.equal(a.completedOnce, ids.length);
}

/** The round sets the schema; a scenario may set the queue's other settings. */
type QueueSettings = NonNullable<NonNullable<ConfigInput['queue']>['config']>;
export type DroneConfig = Omit<ConfigInput, 'queue'> & { pollIntervalMs: number; queue?: { config?: Omit<QueueSettings, 'schema'> } };

export function ledgerWorker(runs: string, config: Record<string, unknown> = {}): LedgerWorker {
  return { module: path.join(FIXTURES, 'workers/ledger.js'), config: { file: runs, ...config } };
}

/** `swarmage drone` config on `schema`, with the local queue next to the config file unless `config` says otherwise. */
export function droneConfig(schema: string, config: DroneConfig): ConfigInput {
  return { localQueue: { path: 'local.sqlite' }, ...config, queue: { config: { ...config.queue?.config, schema } } };
}

/**
 * The suite setup every fault scenario shares; call it inside describe(). It registers before() —
 * the run's seed and figures, a Postgres and a plain client for assertions — and after(): API
 * sockets closed, every drone killed and its log kept, the scenario's own cleanup (`atEnd`), the
 * figures saved, the client ended, then `opts.afterAll`.
 */
export function faultScenario(name: string, title: string, opts: ScenarioOptions = {}): Scenario {
  const seed = runSeed(name);
  const fig = new Figures(name, title, seed);
  const fleets: Fleet[] = [];
  const sockets: ApiSocket[] = [];
  const ends: Array<() => unknown> = [];
  let url: string;
  let sql: pg.Client | undefined;

  const connect = async () => {
    const c = await sqlClient(url);
    if (opts.cutOnPurpose) c.on('error', () => {}); // it is cut on purpose
    return c;
  };

  before(async () => {
    url = await (opts.database ?? testDatabaseUrl)();
    sql = await connect();
  });
  after(async () => {
    for (const s of sockets) s.close();
    for (const f of fleets) {
      f.killAll();
      f.saveLogs();
    }
    for (const fn of ends) await fn();
    fig.save();
    if (sql) {
      if (opts.cutOnPurpose) await sql.end().catch(() => {});
      else await sql.end();
    }
    await opts.afterAll?.();
  });

  return {
    name,
    seed,
    fig,
    fleets,
    connect,
    get url() {
      return url;
    },
    get sql() {
      return sql!;
    },
    set sql(c: pg.Client) {
      sql = c;
    },
    fleet(label) {
      const f = new Fleet(url, label);
      fleets.push(f);
      return f;
    },
    async api(d) {
      const ui = await uiOf(d);
      const s = await ApiSocket.open(ui.api, bearer(ui.token));
      sockets.push(s);
      return s;
    },
    atEnd(fn) {
      ends.push(fn);
    },
    round(round) {
      const schema = freshSchema();
      const dir = tmpDir();
      const runs = path.join(dir, 'runs.txt');
      return {
        r: roundRng(seed, name, round),
        schema,
        dir,
        runs,
        ledger: (config) => ledgerWorker(runs, config),
        droneConfig: (config) => droneConfig(schema, config),
        async settle(fleet, ids, timeoutMs, expectFailed) {
          const ok = await settled(sql!, schema, 'done', timeoutMs);
          const stopped = await fleet.stopAll();
          const a = await account(sql!, schema, ids, { postback: 'done', runsFile: runs, killedPids: fleet.killedPids, expectFailed });
          fig.rounds++;
          fig.kills += fleet.kills;
          fig.add(a);
          return { ok, stopped, a };
        },
      };
    },
  };
}
