import { parse } from '../usage.js';
import { configJsonSchema } from '../../config/schema.js';

export const help = `Usage: swarmage schema

Prints the JSON Schema of swarmage.config.json (for editors; "swarmage init" writes it too).`;

export async function run(args: string[]): Promise<number> {
  parse(args, {}, false);
  process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
  return 0;
}
