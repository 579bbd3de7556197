import path from 'node:path';
import { parse, readOption, UsageError } from '../usage.js';
import { commandDatabase, findConfig } from '../context.js';
import { parseListen } from '../../host/server.js';
import { isLoopbackHost } from '../../host/auth.js';
import { Logger, StderrSink } from '../../log/logger.js';
import { postgresSettings } from '../../config/schema.js';
import { PgQueue } from '../../queue/pg/pgQueue.js';
import { resolveListenUrl } from '../../db/resolve.js';
import { Gateway } from '../../queue/remote/gateway.js';
import { addToken, DEFAULT_TOKENS_FILE, readTokens, removeToken, TokenStore } from '../../queue/remote/tokens.js';
import { redactUrl } from '../../util/redact.js';
import type { ResolvedConfig } from '../../config/load.js';

export const DEFAULT_GATEWAY_PORT = 7071;

export const help = `Usage: swarmage gateway [--config FILE] [--listen [HOST:]PORT] [--tokens FILE]
                        [--certfile FILE --keyfile FILE]
       swarmage gateway token add NAME [--claim TYPES] [--enqueue TYPES] [--inspect] [--tokens FILE]
       swarmage gateway token list [--tokens FILE]
       swarmage gateway token remove NAME [--tokens FILE]

Serves the global queue to drones that have no database access: a drone whose config says
"queue": {"module": "remote", "config": {"url": "ws://HOST:PORT"}} connects here with its token
(SWARMAGE_GATEWAY_TOKEN) over one WebSocket. The gateway holds only its Postgres connection, so
several can run behind a load balancer (GET /healthz answers 200 while Postgres does).

  --config FILE       the database, as for a drone (SWARMAGE_DATABASE_URL, else the config's
                      queue.config.connectionString, else the embedded Postgres); default
                      ./swarmage.config.json when present
  --listen [HOST:]PORT  default 127.0.0.1:${DEFAULT_GATEWAY_PORT}; 0.0.0.0:${DEFAULT_GATEWAY_PORT} to serve other machines
  --tokens FILE       the tokens (SHA-256 hashes only); default ./${DEFAULT_TOKENS_FILE}, or beside
                      --config. Re-read when it changes: a removed token's connections end.
  --certfile FILE     PEM certificate (chain): serve wss:// (drones trust it as Node does: the
                      system's CAs, or NODE_EXTRA_CA_CERTS)
  --keyfile FILE      its PEM private key

Tokens (one per drone, or per group of drones doing the same work):
  token add NAME      creates a token and prints it once (the file keeps only its hash); adding a
                      NAME again replaces its token
    --claim TYPES     comma-separated task types its drones may claim and serve ("*" matches any
                      run of characters: "resize-*")
    --enqueue TYPES   task types it may put on the queue
    --inspect         may also see and operate the whole queue (the UI's Queue, Fleet, Failures)
  token list          names and what each may do
  token remove NAME   revokes it (a running gateway drops its connections within seconds)`;

const TYPE_LIST = /^[^,\s][^,]*(,[^,\s][^,]*)*$/;

function typeList(value: string | undefined, option: string): string[] {
  if (value === undefined || value === '') return [];
  if (!TYPE_LIST.test(value)) throw new UsageError(`${option}: expected comma-separated task types such as "resize,thumb-*", got ${JSON.stringify(value)}`);
  return value.split(',').map((t) => t.trim());
}

function tokensFile(flag: string | undefined, config: ResolvedConfig | null): string {
  if (flag) return path.resolve(flag);
  return path.resolve(config?.file ? path.dirname(config.file) : process.cwd(), DEFAULT_TOKENS_FILE);
}

export async function run(args: string[]): Promise<number> {
  if (args[0] === 'token') return token(args.slice(1));
  const { values } = parse(
    args,
    {
      config: { type: 'string' },
      listen: { type: 'string' },
      tokens: { type: 'string' },
      certfile: { type: 'string' },
      keyfile: { type: 'string' },
    },
    false,
  );
  if ((values.certfile === undefined) !== (values.keyfile === undefined)) throw new UsageError('--certfile and --keyfile go together: give both');
  const listen = parseListen(values.listen ?? `127.0.0.1:${DEFAULT_GATEWAY_PORT}`, '--listen');
  const tls = values.certfile !== undefined ? { cert: readOption(values.certfile, '--certfile'), key: readOption(values.keyfile!, '--keyfile') } : undefined;
  const config = findConfig(values.config, false);
  const file = tokensFile(values.tokens, config);
  const log = new Logger('info', [new StderrSink()]).child({ worker: 'gateway' });
  const tokens = new TokenStore(file, (err) => log.error(`${(err as Error).message}; the gateway keeps the tokens it had`));
  if (tokens.size === 0) {
    throw new Error(
      `no tokens in ${file}: no drone could connect. Add one first: swarmage gateway token add NAME --claim TYPES${values.tokens ? ` --tokens ${file}` : ''}`,
    );
  }
  const db = await commandDatabase(config);
  const settings = postgresSettings(config);
  const queue = new PgQueue({
    connectionString: db.connectionString,
    schema: settings?.schema,
    // Every drone's calls share this pool.
    poolSize: Math.max(settings?.poolSize ?? 0, 10),
    asyncClaimCommit: settings?.asyncClaimCommit,
    listenConnectionString: resolveListenUrl(config),
    onError: (err) => log.warn(`a pooled database connection failed: ${err.message}`),
    onNotice: (msg) => log.info(msg),
  });
  const gateway = new Gateway({ queue, tokens, log, ...listen, tls });
  try {
    const applied = await queue.migrate();
    if (applied.length) log.info(`applied migration(s) ${applied.join(', ')} to schema ${queue.schema}`);
    await gateway.start();
  } catch (err) {
    await gateway.close().catch(() => {});
    await queue.close().catch(() => {});
    throw err;
  }
  log.info(`gateway on ${gateway.url} for ${redactUrl(db.connectionString)} (schema ${queue.schema}); ${tokens.size} token(s) in ${file}`);
  if (!tls && !isLoopbackHost(listen.host)) {
    log.warn('tokens cross the network in clear: give --certfile and --keyfile, or put a TLS proxy in front of the gateway');
  }
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      if (++signals > 1) process.exit(130);
      log.info(`${sig}: closing (drones reconnect to another gateway, or to this one when it is back)`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await gateway.close();
  await queue.close();
  return 0;
}

async function token(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    tokens: { type: 'string' },
    config: { type: 'string' },
    claim: { type: 'string' },
    enqueue: { type: 'string' },
    inspect: { type: 'boolean' },
  });
  const [action, name, ...extra] = positionals;
  if (extra.length) throw new UsageError(`unexpected ${JSON.stringify(extra[0])}`);
  const file = tokensFile(values.tokens, values.config ? findConfig(values.config, true) : null);
  if (action === 'list') {
    const list = readTokens(file);
    if (list.length === 0) process.stdout.write(`no tokens in ${file}\n`);
    for (const t of list) {
      const may = [`claim ${t.claim.join(',') || '-'}`, `enqueue ${t.enqueue.join(',') || '-'}`, ...(t.inspect ? ['inspect'] : [])];
      process.stdout.write(`${t.name.padEnd(20)} ${may.join('  ')}${t.created ? `  (added ${t.created})` : ''}\n`);
    }
    return 0;
  }
  if (!name) throw new UsageError(`token ${action ?? ''}: expected "token add NAME", "token remove NAME" or "token list"`);
  if (action === 'add') {
    const claim = typeList(values.claim, '--claim');
    const enqueue = typeList(values.enqueue, '--enqueue');
    if (claim.length === 0 && enqueue.length === 0 && !values.inspect)
      throw new UsageError('token add: give --claim TYPES, --enqueue TYPES or --inspect: a token that may do nothing is no use');
    const secret = addToken(file, { name, claim, enqueue, inspect: values.inspect ?? false });
    process.stderr.write(`swarmage: token ${name} saved (its hash) in ${file}; it is shown only now. On the drone's machine:\n`);
    process.stdout.write(`${secret}\n`);
    process.stderr.write(`  export SWARMAGE_GATEWAY_TOKEN=<the line above>\n`);
    return 0;
  }
  if (action === 'remove') {
    if (!removeToken(file, name)) throw new Error(`no token named ${JSON.stringify(name)} in ${file}`);
    process.stdout.write(`removed token ${name} from ${file}\n`);
    return 0;
  }
  throw new UsageError(`token ${JSON.stringify(action)}: expected add, list or remove`);
}
