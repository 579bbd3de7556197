import { parse } from '../usage.js';
import { commandDatabase, findConfig } from '../context.js';
import { PgQueue } from '../../queue/pg/pgQueue.js';
import { redactUrl } from '../../util/redact.js';
import { postgresSettings } from '../../config/schema.js';

export const help = `Usage: swarmage migrate [--config FILE]

Creates or updates the queue's tables and functions (schema "swarmage" unless the config says
otherwise). Drones and the CLI do this on their own; run it to prepare a database ahead of time.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: 'string' } }, false);
  const config = findConfig(values.config, false);
  const db = await commandDatabase(config);
  const queue = new PgQueue({ connectionString: db.connectionString, schema: postgresSettings(config)?.schema });
  try {
    const applied = await queue.migrate();
    process.stdout.write(
      applied.length
        ? `applied migration(s) ${applied.join(', ')} to schema ${queue.schema} on ${redactUrl(db.connectionString)}\n`
        : `schema ${queue.schema} on ${redactUrl(db.connectionString)} is up to date\n`,
    );
  } finally {
    await queue.close();
  }
  return 0;
}
