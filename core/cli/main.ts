import { ConfigError } from '../config/errors.js';
import { TaskInputError } from '../queue/validate.js';
import { UsageError } from './usage.js';
import * as init from './commands/init.js';
import * as drone from './commands/drone.js';
import * as enqueue from './commands/enqueue.js';
import * as status from './commands/status.js';
import * as migrate from './commands/migrate.js';
import * as db from './commands/db.js';
import * as schema from './commands/schema.js';
import * as ui from './commands/ui.js';
import * as gateway from './commands/gateway.js';
import { reason } from '../util/redact.js';
import { VERSION } from '../util/version.js';

interface Command {
  help: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command & { summary: string }> = {
  init: { ...init, summary: 'write a starter config and the demo workers' },
  drone: { ...drone, summary: 'run a drone' },
  enqueue: { ...enqueue, summary: 'put tasks on the global queue (--wait for results)' },
  status: { ...status, summary: 'counts per task type and the drones alive' },
  migrate: { ...migrate, summary: 'create or update the database schema' },
  db: { ...db, summary: 'start, stop or locate the embedded Postgres' },
  schema: { ...schema, summary: "print the config file's JSON Schema" },
  ui: { ...ui, summary: "list the login URLs of this user's running drone UIs" },
  gateway: { ...gateway, summary: 'serve the queue to drones without database access' },
};

const HELP = `swarmage — a distributed job queue on PostgreSQL

Usage: swarmage COMMAND [options]     (swarmage COMMAND --help for more)

${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Quick start:
  swarmage init demo && cd demo
  swarmage drone &
  swarmage enqueue factorial 5 --wait`;

/** Runs one command; returns the exit status. Errors become one clear line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS[args[0] ?? ''] : undefined;
    process.stdout.write((topic ? topic.help : HELP) + '\n');
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`swarmage: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(command.help + '\n');
    return 0;
  }
  try {
    return await command.run(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`swarmage ${name}: ${err.message} (see swarmage ${name} --help)\n`);
      return 2;
    }
    const known = err instanceof ConfigError || err instanceof TaskInputError;
    process.stderr.write(`swarmage ${name}: ${known ? err.message : reason(err)}\n`);
    if (process.env.SWARMAGE_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
