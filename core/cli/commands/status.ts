import { parse } from '../usage.js';
import { commandDatabase, connectClient, findConfig } from '../context.js';
import { describeDatabase, type DatabaseChoice, type DatabaseDescription } from '../../db/resolve.js';
import { QueueView, OVERVIEW_CAP } from '../../queue/queueView.js';
import { formatDuration } from '../../util/duration.js';
import { describeWakeups } from '../../util/wakeups.js';

export const help = `Usage: swarmage status [--json] [--config FILE]

First the database it looked at: "embedded" (this machine's embedded Postgres, with its data
directory and port), or the URL's host, port and database (never its password) and where it came
from (SWARMAGE_DATABASE_URL or queue.config.connectionString). Then, per task type on the global
queue: available (ready to run), scheduled (waiting for a retry or a later run_at), claimed (held
by a drone) and failed, how long the oldest due task has waited, and the live drones serving it; a
type with due tasks and no drone is marked UNSERVED. A count read from more than ${OVERVIEW_CAP} rows
shows as "${OVERVIEW_CAP}+" (the Queue view can count exactly). Then every registered drone: alive
(heartbeats on time), stale (one missed) or dead (its lease ran out; its claims go back to the
queue), the tasks it holds, and how it learns of new tasks: notify (it checked that notifications
reach it), or poll (they do not, as behind a connection pooler in transaction mode: give it
SWARMAGE_LISTEN_DATABASE_URL, see docs/deployment.md). With a config whose queue.module is "remote",
all of it comes through that gateway (its token must have been added with --inspect), and drones
that use a gateway are listed as "<token name>/<drone id>".

  --json   the same as JSON: {database: {source, url, dataDir and port or from}, now, cap, types, drones}`;

export async function run(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, config: { type: 'string' } }, false);
  const config = findConfig(values.config, false);
  let database: DatabaseDescription;
  let db: DatabaseChoice | undefined;
  if (config?.queue.module === 'remote') {
    // Through the gateway (its token needs --inspect): this machine has no database to describe.
    database = { source: 'gateway', url: config.queue.config.url, from: `queue.config.url in ${config.file}` };
  } else {
    db = await commandDatabase(config);
    database = describeDatabase(db, config);
  }
  const client = await connectClient(config, db);
  try {
    const status = await new QueueView(client.queue, () => null).overview();
    if (values.json) {
      process.stdout.write(JSON.stringify({ database, ...status }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write(`Database: ${databaseLine(database)}\n\n`);
    const n = (count: number) => (count >= status.cap ? `${status.cap}+` : String(count));
    const rows = [
      ['TYPE', 'AVAILABLE', 'SCHEDULED', 'CLAIMED', 'FAILED', 'OLDEST', 'SERVED BY'],
      ...status.types.map((t) => [
        t.type,
        n(t.available),
        n(t.scheduled),
        n(t.claimed),
        n(t.failed),
        t.oldestWaitingMs === null ? '-' : formatDuration(t.oldestWaitingMs),
        t.unserved ? 'UNSERVED' : String(t.servedBy.length),
      ]),
    ];
    process.stdout.write(status.types.length ? table(rows, 1) : 'No tasks on the global queue.\n');
    process.stdout.write('\n');
    const drones = [
      ['DRONE', 'HOST', 'PID', 'STATE', 'HELD', 'TYPES', 'WAKE-UPS', 'LAST HEARTBEAT'],
      ...status.drones.map((d) => [
        d.id,
        d.host,
        String(d.pid),
        d.state,
        String(d.held),
        d.types.join(','),
        describeWakeups(d.wakeups),
        new Date(d.heartbeatAt).toISOString(),
      ]),
    ];
    process.stdout.write(status.drones.length ? table(drones, 0) : 'No drones registered.\n');
  } finally {
    await client.close();
  }
  return 0;
}

function databaseLine(d: DatabaseDescription): string {
  if (d.source === 'gateway') return `the gateway ${d.url} (from ${d.from})`;
  if (d.source !== 'embedded') return `${d.url} (from ${d.from})`;
  return `embedded (this machine's embedded Postgres: data ${d.dataDir}${d.port === null ? '' : `, port ${d.port}`})`;
}

/** Columns from `numericFrom` on are right-aligned. */
function table(rows: string[][], numericFrom: number): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const numeric = numericFrom > 0;
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (numeric && c >= numericFrom ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
