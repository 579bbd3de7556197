import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, UsageError } from '../usage.js';
import { configJsonSchema } from '../../config/schema.js';

export const help = `Usage: swarmage init [DIR] [--force]

Writes a starter drone into DIR (default: the current directory): swarmage.config.json, the seed's
demo workers (factorial → local:hexadecimal) and swarmage.schema.json for editors.

  --force   overwrite files that exist`;

const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));

/** The starter files, name → text: the demo's config and workers from examples/, and the JSON Schema. */
function starterFiles(): Array<[string, string]> {
  return [
    ['swarmage.config.json', fs.readFileSync(path.join(EXAMPLES, 'swarmage.config.json'), 'utf8')],
    ['workers/factorial.js', fs.readFileSync(path.join(EXAMPLES, 'workers/factorial.js'), 'utf8')],
    ['workers/hexadecimal.js', fs.readFileSync(path.join(EXAMPLES, 'workers/hexadecimal.js'), 'utf8')],
    // Marks the workers as ES modules without making DIR a package of its own.
    ['workers/package.json', fs.readFileSync(path.join(EXAMPLES, 'workers/package.json'), 'utf8')],
    ['swarmage.schema.json', JSON.stringify(configJsonSchema(), null, 2) + '\n'],
  ];
}

/**
 * Writes the starter drone into dir (also used by the desktop app for its first-run config). Refuses,
 * naming them, to overwrite files that exist unless force. Returns the files written, relative to dir.
 */
export function writeStarter(dir: string, opts: { force?: boolean } = {}): string[] {
  const files = starterFiles();
  const existing = files.filter(([f]) => fs.existsSync(path.join(dir, f))).map(([f]) => f);
  if (existing.length > 0 && !opts.force) {
    throw new UsageError(`${dir} already has ${existing.join(', ')}; use --force to overwrite`);
  }
  for (const [name, text] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return files.map(([f]) => f);
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { force: { type: 'boolean' } });
  if (positionals.length > 1) throw new UsageError(`init takes one directory, got ${positionals.length}`);
  const dir = path.resolve(positionals[0] ?? '.');
  const files = writeStarter(dir, { force: values.force });
  const rel = path.relative(process.cwd(), dir) || '.';
  process.stdout.write(`Created a drone in ${dir}:\n${files.map((f) => `  ${f}`).join('\n')}\n\nNext:\n` +
    (rel !== '.' ? `  cd ${rel}\n` : '') +
    `  npx swarmage drone &\n  npx swarmage enqueue factorial 5 --wait     # prints "78"\n  npx swarmage status\n`);
  return 0;
}
