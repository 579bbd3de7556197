import { parse, UsageError } from '../usage.js';
import { findConfig, progress } from '../context.js';
import { embeddedAddress, embeddedDataDir, embeddedListening, embeddedRunning, ensureEmbedded, stopEmbedded } from '../../db/embedded.js';

export const help = `Usage: swarmage db start|stop|status|url [--config FILE]

Manages this machine's embedded Postgres (used when no SWARMAGE_DATABASE_URL or
queue.config.connectionString is set). It starts on its own when a drone or command needs it and
keeps running for the others; "stop" stops it. Data: SWARMAGE_HOME/postgres or the user data
directory. It listens on no TCP port: only on a Unix socket inside its data directory (readable by
you alone), named after queue.config.embedded.port (default 54329). "url" prints the connection
string, password included, for psql and other tools of yours.`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { config: { type: 'string' } });
  const embedded = findConfig(values.config, false)?.queue.config.embedded ?? { port: 54329 };
  const dataDir = embeddedDataDir(embedded);
  const address = embeddedAddress(embedded);
  switch (positionals[0]) {
    case 'start':
    case 'url': {
      const url = await ensureEmbedded({ ...embedded, onProgress: progress });
      process.stdout.write(positionals[0] === 'url' ? `${url}\n` : `embedded Postgres running on ${address} (data ${dataDir})\n`);
      return 0;
    }
    case 'stop':
      process.stdout.write(
        (await stopEmbedded(embedded)) ? `stopped the embedded Postgres (data ${dataDir})\n` : `the embedded Postgres is not running (data ${dataDir})\n`,
      );
      return 0;
    case 'status': {
      const up = await embeddedRunning(embedded);
      process.stdout.write(`embedded Postgres: ${up ? `running on ${embeddedListening(embedded) ?? address}` : 'stopped'} (data ${dataDir})\n`);
      return up ? 0 : 3;
    }
    default:
      throw new UsageError(positionals[0] ? `unknown db command ${JSON.stringify(positionals[0])}` : 'db needs a command: start, stop, status or url');
  }
}
