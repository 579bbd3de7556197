import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './schema.js';

/** writeStarter would overwrite these files. */
export class StarterExistsError extends Error {
  override name = 'StarterExistsError';
  constructor(
    message: string,
    readonly existing: string[],
  ) {
    super(message);
  }
}

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

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
 * Writes the starter drone into dir (`swarmage init`, and the desktop app's first-run config). Refuses,
 * naming them, to overwrite files that exist unless force. Returns the files written, relative to dir.
 */
export function writeStarter(dir: string, opts: { force?: boolean } = {}): string[] {
  const files = starterFiles();
  const existing = files.filter(([f]) => fs.existsSync(path.join(dir, f))).map(([f]) => f);
  if (existing.length > 0 && !opts.force) {
    throw new StarterExistsError(`${dir} already has ${existing.join(', ')}`, existing);
  }
  for (const [name, text] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return files.map(([f]) => f);
}
