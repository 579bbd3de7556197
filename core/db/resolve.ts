import type { ResolvedConfig } from '../config/load.js';
import type { DatabaseSource } from '../api/types.js';
import { embeddedDataDir, embeddedPortInfo, ensureEmbedded, type EmbeddedOptions } from './embedded.js';
import { redactUrl } from '../util/redact.js';
import { postgresSettings } from '../config/schema.js';

/** The database chosen, and for the embedded server where it keeps its data and listens. */
export type DatabaseChoice =
  | { connectionString: string; source: Exclude<DatabaseSource, 'embedded'> }
  | { connectionString: string; source: 'embedded'; dataDir: string; port: number | undefined };

type ConfigPart = Pick<ResolvedConfig, 'queue' | 'file'>;

/**
 * No database URL where the deployment forbids the embedded server. Its message is the whole story
 * (what is missing, the two ways to give it, and what forbade the fallback), so it is shown without
 * a stack.
 */
export class DatabaseRequiredError extends Error {
  override name = 'DatabaseRequiredError';
}

/** The embedded server's options from the config: queue.config.embedded, unless it is a boolean. */
export function embeddedOptions(config: ConfigPart | null): Pick<EmbeddedOptions, 'dataDir' | 'port'> {
  const embedded = postgresSettings(config)?.embedded;
  return typeof embedded === 'object' ? embedded : {};
}

/**
 * What forbids the embedded server here, in words for the error; null when nothing does. A value of
 * SWARMAGE_REQUIRE_DATABASE_URL that is neither yes nor no forbids it too: whoever set it meant
 * something, and a production machine falling back to a private database is the failure to avoid.
 */
function embeddedForbiddenBy(config: ConfigPart | null): string | null {
  const env = process.env.SWARMAGE_REQUIRE_DATABASE_URL?.trim().toLowerCase();
  if (env === '1' || env === 'true') return `SWARMAGE_REQUIRE_DATABASE_URL=${process.env.SWARMAGE_REQUIRE_DATABASE_URL!.trim()}`;
  if (env && env !== '0' && env !== 'false') {
    return `SWARMAGE_REQUIRE_DATABASE_URL=${JSON.stringify(process.env.SWARMAGE_REQUIRE_DATABASE_URL)} (read as 1; set it to 1 or true, or 0 or false to allow the embedded Postgres)`;
  }
  if (postgresSettings(config)?.embedded === false) return `queue.config.embedded=false in ${config?.file ?? 'the config'}`;
  return null;
}

/** The database, in this order: SWARMAGE_DATABASE_URL, the config's connectionString, else the embedded server unless forbidden. */
export async function resolveDatabase(config: ConfigPart | null, onProgress?: (msg: string) => void): Promise<DatabaseChoice> {
  if (config?.queue.module === 'remote') {
    throw new DatabaseRequiredError(
      `${config.file ?? 'the config'} has queue.module "remote": its drones reach the queue through the gateway ${config.queue.config.url} ` +
        'and have no database; run this on the gateway\'s machine, or with a config whose queue is "postgres"',
    );
  }
  const env = process.env.SWARMAGE_DATABASE_URL;
  if (env) return { connectionString: env, source: 'SWARMAGE_DATABASE_URL' };
  const fromConfig = postgresSettings(config)?.connectionString;
  if (fromConfig) return { connectionString: fromConfig, source: 'config' };
  const forbiddenBy = embeddedForbiddenBy(config);
  if (forbiddenBy) {
    const where = config?.file ?? (config ? 'the config' : 'a config file (--config FILE)');
    throw new DatabaseRequiredError(
      `no database URL: set SWARMAGE_DATABASE_URL or queue.config.connectionString in ${where}; the embedded Postgres is disabled by ${forbiddenBy}`,
    );
  }
  const options = embeddedOptions(config);
  const connectionString = await ensureEmbedded({ ...options, onProgress });
  return { connectionString, source: 'embedded', dataDir: embeddedDataDir(options), port: embeddedPortInfo(options).port };
}

/**
 * The connection for LISTEN only, when the queue's goes through a pooler in transaction mode:
 * SWARMAGE_LISTEN_DATABASE_URL, else the config's listenConnectionString, else none (LISTEN goes
 * where everything else does).
 */
export function resolveListenUrl(config: Pick<ResolvedConfig, 'queue'> | null): string | undefined {
  return process.env.SWARMAGE_LISTEN_DATABASE_URL || postgresSettings(config)?.listenConnectionString || undefined;
}

/**
 * The one line that says a command or drone runs on the embedded server: it is the right default on
 * a workstation and a silent failure on a fleet, so it is said every time, with the way to forbid it.
 */
export function embeddedNotice(choice: DatabaseChoice): string | null {
  if (choice.source !== 'embedded') return null;
  return (
    `using the embedded Postgres at ${choice.dataDir} (no SWARMAGE_DATABASE_URL or queue.config.connectionString): ` +
    'fine for a workstation; drones on other machines cannot share it. Set SWARMAGE_REQUIRE_DATABASE_URL=1 to forbid this.'
  );
}

/** Which database, for people and for `status --json`: never the password. */
export function describeDatabase(choice: DatabaseChoice, config: ConfigPart | null): DatabaseDescription {
  const url = redactUrl(choice.connectionString);
  if (choice.source === 'embedded') return { source: 'embedded', url, dataDir: choice.dataDir, port: choice.port ?? null };
  const from = choice.source === 'config' ? `queue.config.connectionString in ${config?.file ?? 'the config'}` : 'SWARMAGE_DATABASE_URL';
  return { source: choice.source, url, from };
}

export type DatabaseDescription =
  { source: 'embedded'; url: string; dataDir: string; port: number | null } | { source: Exclude<DatabaseSource, 'embedded'>; url: string; from: string };
