import path from 'node:path';
import { parse, UsageError } from '../usage.js';
import { StarterExistsError, writeStarter } from '../../config/starter.js';

export const help = `Usage: swarmage init [DIR] [--force]

Writes a starter drone into DIR (default: the current directory): swarmage.config.json, the demo
workers of the original Swarmage (factorial → local:hexadecimal) and swarmage.schema.json for editors.

  --force   overwrite files that exist`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { force: { type: 'boolean' } });
  if (positionals.length > 1) throw new UsageError(`init takes one directory, got ${positionals.length}`);
  const dir = path.resolve(positionals[0] ?? '.');
  let files: string[];
  try {
    files = writeStarter(dir, { force: values.force });
  } catch (err) {
    if (err instanceof StarterExistsError) throw new UsageError(`${err.message}; use --force to overwrite`);
    throw err;
  }
  const rel = path.relative(process.cwd(), dir) || '.';
  process.stdout.write(
    `Created a drone in ${dir}:\n${files.map((f) => `  ${f}`).join('\n')}\n\nNext:\n` +
      (rel !== '.' ? `  cd ${rel}\n` : '') +
      `  npx swarmage drone &\n  npx swarmage enqueue factorial 5 --wait     # prints "78"\n  npx swarmage status\n\n` +
      // The starter runs on the embedded Postgres; where that would be a mistake is a server, and the way out belongs right here.
      `The config names no database, so this machine's embedded Postgres is used ("embedded": true). For drones on\n` +
      `several machines set queue.config.connectionString (or SWARMAGE_DATABASE_URL) and "embedded": false.\n`,
  );
  return 0;
}
