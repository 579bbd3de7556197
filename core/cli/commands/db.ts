import { parse, UsageError } from '../usage.js';
import { findConfig, progress } from '../context.js';
import { embeddedOptions } from '../../db/resolve.js';
import { embeddedAddress, embeddedDataDir, embeddedListening, embeddedPortInfo, embeddedRunning, ensureEmbedded, stopEmbedded } from '../../db/embedded.js';

export const help = `Usage: swarmage db start|stop|status|url [--config FILE]

Manages this machine's embedded Postgres (used when no SWARMAGE_DATABASE_URL or
queue.config.connectionString is set). It starts on its own when a drone or command needs it and
keeps running for the others; "stop" stops it. Data: SWARMAGE_HOME/postgres or the user data
directory. It listens on no TCP port: only on a Unix socket inside its data directory (readable by
you alone), named after its port (on Windows, 127.0.0.1 and that port). Each user's server has a
port of its own: queue.config.embedded.port when set, else a free one (from 54329) picked at the
first start and remembered in SWARMAGE_HOME/postgres.port; "start" and "status" show it. "url"
prints the connection string, password included, for psql and other tools of yours.`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { config: { type: 'string' } });
  // Asked for by name, so even where queue.config.embedded is false: that forbids falling back to it, not managing it.
  const embedded = embeddedOptions(findConfig(values.config, false));
  const dataDir = embeddedDataDir(embedded);
  /** "port 55001, remembered in /…/postgres.port; data /…/postgres" */
  const where = () => {
    const { port, why } = embeddedPortInfo(embedded);
    return `${port === undefined ? why : `port ${port}, ${why}`}; data ${dataDir}`;
  };
  switch (positionals[0]) {
    case 'start':
    case 'url': {
      const url = await ensureEmbedded({ ...embedded, onProgress: progress });
      const { port } = embeddedPortInfo(embedded);
      const address = port === undefined ? '' : ` on ${embeddedListening(embedded) ?? embeddedAddress({ ...embedded, port })}`;
      process.stdout.write(positionals[0] === 'url' ? `${url}\n` : `embedded Postgres running${address} (${where()})\n`);
      return 0;
    }
    case 'stop':
      process.stdout.write(
        (await stopEmbedded(embedded)) ? `stopped the embedded Postgres (data ${dataDir})\n` : `the embedded Postgres is not running (data ${dataDir})\n`,
      );
      return 0;
    case 'status': {
      const up = await embeddedRunning(embedded);
      const { port } = embeddedPortInfo(embedded);
      const listening = embeddedListening(embedded) ?? (port === undefined ? 'its socket' : embeddedAddress({ ...embedded, port }));
      process.stdout.write(`embedded Postgres: ${up ? `running on ${listening}` : 'stopped'} (${where()})\n`);
      return up ? 0 : 3;
    }
    default:
      throw new UsageError(positionals[0] ? `unknown db command ${JSON.stringify(positionals[0])}` : 'db needs a command: start, stop, status or url');
  }
}
