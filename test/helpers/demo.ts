import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLES, tmpDir } from './tmp.js';

/**
 * A temp dir holding the demo workers and a drone config (`file`) that runs them on the given
 * database and schema; `hexadecimalInstances` hexadecimal workers, `extra` merged into the config.
 */
export function demoDroneDir(
  url: string,
  schema: string,
  file: string,
  opts: { hexadecimalInstances?: number; extra?: Record<string, unknown> } = {},
): { dir: string; file: string } {
  const dir = tmpDir();
  fs.cpSync(path.join(EXAMPLES, 'workers'), path.join(dir, 'workers'), { recursive: true });
  const hex = { module: './workers/hexadecimal.js' };
  const n = opts.hexadecimalInstances ?? 1;
  const config = {
    queue: { config: { connectionString: url, schema } },
    workers: { factorial: { module: './workers/factorial.js' }, hexadecimal: n === 1 ? hex : Array.from({ length: n }, () => hex) },
    pollIntervalMs: 200,
    localQueue: { path: 'local.sqlite' },
    ...opts.extra,
  };
  const configFile = path.join(dir, file);
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  return { dir, file: configFile };
}
