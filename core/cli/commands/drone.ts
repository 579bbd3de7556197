import { parse } from '../usage.js';
import { findConfig, progress } from '../context.js';
import { Drone } from '../../drone/drone.js';
import { FileSink, Logger, LogRing, StderrSink, isLogLevel, type LogSink } from '../../log/logger.js';
import { resolveDatabase } from '../../db/resolve.js';
import { redactUrl } from '../../util/redact.js';

export const help = `Usage: swarmage drone [--config FILE] [--log-level LEVEL]

Runs a drone: claims tasks of the types in the config's "workers" from the global queue, buffers
them in the local queue and runs them in worker processes. Stops cleanly on Ctrl-C / SIGTERM
(running tasks finish within shutdownGraceMs; the rest go back to the queue). A second signal
exits at once; what the drone held stays in its local queue for the next start.

  --config FILE       default ./swarmage.config.json
  --log-level LEVEL   debug, info, warn or error (overrides log.level)

Database: SWARMAGE_DATABASE_URL, else queue.config.connectionString, else the embedded Postgres.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: 'string' }, 'log-level': { type: 'string' } }, false);
  const config = findConfig(values.config, true)!;
  const level = values['log-level'] ?? config.log.level;
  if (!isLogLevel(level)) throw new Error(`--log-level: expected debug, info, warn or error, got ${JSON.stringify(level)}`);
  const sinks: LogSink[] = [new StderrSink(), new LogRing()];
  if (config.logFile) sinks.push(new FileSink(config.logFile));
  const logger = new Logger(level, sinks);
  const db = await resolveDatabase(config, progress);
  if (db.source === 'embedded') logger.info(`using the embedded Postgres at ${redactUrl(db.connectionString)}`);
  const drone = new Drone({ config, connectionString: db.connectionString, logger });

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      logger.info(`${sig}: stopping (again to exit at once)`);
      void drone.stop();
    } else {
      logger.warn(`${sig} again: exiting now; unfinished tasks stay in ${config.localQueuePath}`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopped = new Promise<void>((resolve) => drone.once('stopped', resolve));
  await drone.start();
  await stopped;
  logger.close();
  return 0;
}
