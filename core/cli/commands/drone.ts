import { parse } from '../usage.js';
import { findConfig } from '../context.js';
import { isLogLevel } from '../../log/logger.js';
import { DroneService } from '../../service/droneService.js';
import { DEFAULT_UI_PORT, parseListen, startHost, type RunningHost } from '../../host/server.js';

export const help = `Usage: swarmage drone [--config FILE] [--log-level LEVEL] [--ui [HOST:]PORT [--token TOKEN]] [--hot-reload]

Runs a drone: claims tasks of the types in the config's "workers" from the global queue, buffers
them in the local queue and runs them in worker processes. Stops cleanly on Ctrl-C / SIGTERM
(running tasks finish within shutdownGraceMs; the rest go back to the queue). A second signal
exits at once; what the drone held stays in its local queue for the next start.

  --config FILE       default ./swarmage.config.json
  --log-level LEVEL   debug, info, warn or error (overrides log.level)
  --ui [HOST:]PORT    also serve the operator UI to a browser (default host 127.0.0.1; port
                      ${DEFAULT_UI_PORT} is the desktop app's). Off loopback a token is required: one is
                      generated and printed unless --token (or SWARMAGE_UI_TOKEN) gives it.
  --token TOKEN       require this token from every UI request and socket
  --hot-reload        dev mode: when a worker module's file changes, restart that type's workers
                      with the new code (gracefully: no task lost)

Database: SWARMAGE_DATABASE_URL, else queue.config.connectionString, else the embedded Postgres.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parse(args, {
    config: { type: 'string' }, 'log-level': { type: 'string' }, ui: { type: 'string' }, token: { type: 'string' }, 'hot-reload': { type: 'boolean' },
  }, false);
  const config = findConfig(values.config, true)!;
  const level = values['log-level'];
  if (level !== undefined && !isLogLevel(level)) throw new Error(`--log-level: expected debug, info, warn or error, got ${JSON.stringify(level)}`);
  const listen = values.ui !== undefined ? parseListen(values.ui) : null;
  const token = values.token ?? process.env.SWARMAGE_UI_TOKEN ?? null;
  if (token !== null && token.length < 16) throw new Error('--token: use at least 16 characters');

  const service = new DroneService({ configFile: config.file!, logToStderr: true, logLevel: level, hotReload: values['hot-reload'] ?? false });
  let host: RunningHost | null = null;
  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        service.log.info(`${sig}: stopping (again to exit at once)`);
        void host?.close();
        void service.stop().then(resolve);
      } else {
        service.log.warn(`${sig} again: exiting now; unfinished tasks stay in ${config.localQueuePath}`);
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    if (listen) {
      host = await startHost(service, { ...listen, token });
      process.stderr.write(`swarmage: operator UI on ${host.openUrl}\n`);
    }
    await service.start();
  } catch (err) {
    await host?.close();
    await service.stop();
    throw err;
  }
  await stopped;
  return 0;
}
