import { parse } from '../usage.js';
import { connectClient, findConfig } from '../context.js';

export const help = `Usage: swarmage status [--json] [--config FILE]

Per task type on the global queue: available (ready to run), scheduled (waiting for a retry or a
later run_at), claimed (held by a drone) and failed; then the drones and whether they are alive
(heartbeat within their lease).`;

export async function run(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, config: { type: 'string' } }, false);
  const client = await connectClient(findConfig(values.config, false));
  try {
    const status = await client.queue.status();
    if (values.json) {
      process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      return 0;
    }
    const rows = [
      ['TYPE', 'AVAILABLE', 'SCHEDULED', 'CLAIMED', 'FAILED'],
      ...status.types.map((t) => [t.type, t.available, t.scheduled, t.claimed, t.failed].map(String)),
    ];
    process.stdout.write(status.types.length ? table(rows, 1) : 'No tasks on the global queue.\n');
    process.stdout.write('\n');
    const drones = [
      ['DRONE', 'HOST', 'PID', 'ALIVE', 'TYPES', 'LAST HEARTBEAT'],
      ...status.drones.map((d) => [d.id, d.host, String(d.pid), d.alive ? 'yes' : 'no', d.taskTypes.join(','), d.heartbeatAt]),
    ];
    process.stdout.write(status.drones.length ? table(drones, 0) : 'No drones registered.\n');
  } finally {
    await client.close();
  }
  return 0;
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
