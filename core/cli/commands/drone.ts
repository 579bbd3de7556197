import { parse, readOption, UsageError } from '../usage.js';
import { findConfig } from '../context.js';
import { isLogLevel } from '../../log/logger.js';
import { DroneService } from '../../service/droneService.js';
import { ProfileManager } from '../../app/profileManager.js';
import { DEFAULT_UI_PORT, MIN_TOKEN_LENGTH, parseListen, startHost, type RunningHost } from '../../host/server.js';

export const help = `Usage: swarmage drone [--config FILE] [--log-level LEVEL] [--ui [HOST:]PORT [--token-file FILE]
                     [--certfile FILE --keyfile FILE]] [--hot-reload]

Runs a drone: claims tasks of the types in the config's "workers" from the global queue, buffers
them in the local queue and runs them in worker processes. Stops cleanly on Ctrl-C / SIGTERM
(running tasks finish within shutdownGraceMs; the rest go back to the queue). A second signal
exits at once; what the drone held stays in its local queue for the next start.

  --config FILE       default ./swarmage.config.json
  --log-level LEVEL   debug, info, warn or error (overrides log.level)
  --ui [HOST:]PORT    also serve the operator UI to a browser (default host 127.0.0.1; port
                      ${DEFAULT_UI_PORT} is the desktop app's). Every request needs the UI's token, on
                      loopback too: the login URL printed at start carries it (open it once; the
                      browser keeps a cookie), and "swarmage ui" lists it again.
  --token-file FILE   take the token from FILE (its first line) instead of a new one per run; or set
                      SWARMAGE_UI_TOKEN. At least ${MIN_TOKEN_LENGTH} characters. (No --token: a command line shows
                      in "ps" to every user.)
  --certfile FILE     PEM certificate (chain) for https/wss; with --keyfile, required off loopback
  --keyfile FILE      its PEM private key
  --hot-reload        dev mode: when a worker module's file changes, restart that type's workers
                      with the new code (gracefully: no task lost)

Database: SWARMAGE_DATABASE_URL, else queue.config.connectionString, else the embedded Postgres of
this machine (with a warning: drones elsewhere cannot share it). SWARMAGE_REQUIRE_DATABASE_URL=1, or
"embedded": false in queue.config, makes a missing URL an error instead.

With "queue": {"module": "remote", "config": {"url": "wss://HOST:PORT"}} the drone has no database:
it reaches the queue through a gateway ("swarmage gateway"), with the token in SWARMAGE_GATEWAY_TOKEN.`;

/** The UI's token: --token-file, else SWARMAGE_UI_TOKEN, else null (one is generated per run). */
function uiToken(tokenFile: string | undefined): string | null {
  const token =
    tokenFile !== undefined ? readOption(tokenFile, '--token-file').toString('utf8').split(/\r?\n/)[0].trim() : process.env.SWARMAGE_UI_TOKEN?.trim() || null;
  const where = tokenFile !== undefined ? `--token-file ${tokenFile}` : 'SWARMAGE_UI_TOKEN';
  if (token !== null && (token.length < MIN_TOKEN_LENGTH || /[^\x21-\x7e]/.test(token))) {
    throw new UsageError(`${where}: the token must be at least ${MIN_TOKEN_LENGTH} printable characters without spaces (got ${token.length})`);
  }
  return token;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      config: { type: 'string' },
      'log-level': { type: 'string' },
      ui: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      certfile: { type: 'string' },
      keyfile: { type: 'string' },
      'hot-reload': { type: 'boolean' },
    },
    false,
  );
  if (values.token !== undefined) {
    throw new UsageError(
      '--token is not accepted: a command line shows in "ps" to every user of the machine; put the token in a file and give --token-file FILE, or set SWARMAGE_UI_TOKEN',
    );
  }
  const config = findConfig(values.config, true)!;
  const level = values['log-level'];
  if (level !== undefined && !isLogLevel(level)) throw new Error(`--log-level: expected debug, info, warn or error, got ${JSON.stringify(level)}`);
  const listen = values.ui !== undefined ? parseListen(values.ui) : null;
  const uiOnly = ['token-file', 'certfile', 'keyfile'].find((k) => values[k as 'certfile'] !== undefined);
  if (!listen && uiOnly) throw new UsageError(`--${uiOnly} goes with --ui [HOST:]PORT`);
  if ((values.certfile === undefined) !== (values.keyfile === undefined)) throw new UsageError('--certfile and --keyfile go together: give both');
  const token = listen ? uiToken(values['token-file']) : null;
  const tls =
    values.certfile !== undefined && values.keyfile !== undefined
      ? { cert: readOption(values.certfile, '--certfile'), key: readOption(values.keyfile, '--keyfile') }
      : null;

  const service = new DroneService({ configFile: config.file!, logToStderr: true, logLevel: level, hotReload: values['hot-reload'] ?? false });
  let host: RunningHost | null = null;
  let signals = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        service.log.info(`${sig}: stopping (again to exit at once)`);
        host?.close().catch((err: Error) => service.log.warn(`closing the UI: ${err.message}`));
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
      // The same UI as the desktop app's, with this one drone and no profile list to edit.
      host = await startHost(ProfileManager.fixed(config.file!, service, service.log), { ...listen, token, tls, serverInfo: { configFile: config.file } });
      // The login URL carries the token: for the user who started the drone (and "swarmage ui").
      process.stderr.write(`swarmage: operator UI on ${host.loginUrl}\n`);
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
