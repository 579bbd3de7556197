import { z } from 'zod';

/**
 * Schema names are spliced into SQL and name the NOTIFY channel `<schema>_tasks`, which Postgres
 * caps at 63 bytes like any identifier: a longer schema would make every insert fail.
 */
export const SCHEMA_MAX = 63 - '_tasks'.length;
/** A Postgres identifier we are willing to splice into SQL (schema names). */
export const IDENTIFIER = new RegExp(`^[a-z_][a-z0-9_]{0,${SCHEMA_MAX - 1}}$`);

/** Millisecond settings end up in Postgres int columns. */
const MAX_INT32 = 2 ** 31 - 1;

/** Task type names: printable, bounded, and never the chaining prefix itself. */
export const TASK_TYPE_MAX = 200;
export const taskTypeName = z
  .string()
  .min(1, 'a task type cannot be empty')
  .max(TASK_TYPE_MAX, `a task type is at most ${TASK_TYPE_MAX} characters`)
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'a task type cannot contain control characters')
  .refine((s) => !s.startsWith('local:'), 'the "local:" prefix is for chaining results, not for worker names');

const workerSpec = z.strictObject({
  module: z.string().min(1).describe('Path of the worker module (an ES module), relative to the config file.'),
  config: z.record(z.string(), z.unknown()).default({}).describe("Passed to the module's init(config) or class constructor."),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(300_000)
    .describe('A task running longer than this kills and respawns the worker instance; the attempt fails.'),
  concurrency: z.number().int().min(1).max(1000).default(1).describe('Tasks one instance runs at the same time (async work).'),
  prefetch: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe(
      'Tasks handed to one instance ahead of time, so the IPC channel carries batches. Unset (the default): what the instance runs in about 20 ms, ' +
        'measured (up to 250; none ahead of slow tasks). A task that runs long hands what is queued behind it to an idle sibling either way.',
    ),
  maxMemoryMb: z
    .number()
    .int()
    .min(16)
    .optional()
    .describe('Heap limit of the worker process (--max-old-space-size); over it the instance dies and is respawned.'),
  batchResults: z
    .boolean()
    .default(false)
    .describe(
      'Report results once per event-loop turn instead of one write per task: less CPU for tiny tasks. ' +
        'The price: when the process is killed outright (SIGKILL, a timeout, out of memory, a native crash), ' +
        'tasks it had finished since its last report run again.',
    ),
});

const postgresQueue = z.strictObject({
  module: z.literal('postgres').default('postgres').describe('The global queue in Postgres, reached directly (the default).'),
  config: z
    .strictObject({
      connectionString: z
        .string()
        .min(1)
        .optional()
        .describe(
          'postgres://… ; SWARMAGE_DATABASE_URL, when set, wins. When neither is given, the embedded Postgres of this machine is used ' +
            '(drones on other machines cannot share it), unless "embedded": false or SWARMAGE_REQUIRE_DATABASE_URL=1 makes that an error.',
        ),
      listenConnectionString: z
        .string()
        .min(1)
        .optional()
        .describe(
          'postgres://… to the same database, used only to LISTEN for new tasks (one connection per drone); SWARMAGE_LISTEN_DATABASE_URL wins over it. ' +
            "Set it when connectionString goes through a connection pooler in transaction mode (PgBouncer, Supavisor, RDS Proxy, Neon's pooler), " +
            'which does not pass notifications on: give it a direct or session-mode connection. Without it such a drone notices and polls every 250 ms.',
        ),
      schema: z
        .string()
        .max(SCHEMA_MAX, `at most ${SCHEMA_MAX} characters, so that the notification channel "<schema>_tasks" fits Postgres's 63`)
        .regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case SQL identifier such as "swarmage"')
        .default('swarmage'),
      poolSize: z.number().int().min(2).max(100).default(4),
      asyncClaimCommit: z
        .boolean()
        .default(false)
        .describe(
          'Claims (and the acknowledgements sent with them) commit without waiting for Postgres to write them to disk ' +
            "(synchronous_commit = off for the claim's own transaction): an idle drone starts a new task about half a millisecond sooner. " +
            'The price: should Postgres itself crash, claims it committed in its last fraction of a second may be lost, so those tasks may run again. ' +
            'Nothing is lost, and a crash of the drone changes nothing. Off by default.',
        ),
      embedded: z
        .union([
          z.boolean(),
          z.strictObject({
            port: z
              .number()
              .int()
              .min(1024)
              .max(65535)
              .optional()
              .describe(
                "The embedded server's port, used as given. When absent, each user's server picks a free one (from 54329) at its first start " +
                  'and remembers it in <data directory>.port beside its data; `swarmage db status` shows it.',
              ),
            dataDir: z.string().min(1).optional().describe('Where the embedded server keeps its data; default: the user data directory.'),
          }),
        ])
        .prefault({})
        .describe(
          'The embedded Postgres, used when no connectionString and no SWARMAGE_DATABASE_URL are given: its options (an object; true: the defaults), ' +
            'or false to forbid it, so that a missing database URL is an error instead of a private database on this machine ' +
            '(SWARMAGE_REQUIRE_DATABASE_URL=1 does the same for every config). Set false on servers.',
        ),
    })
    .prefault({}),
});

const remoteQueue = z.strictObject({
  module: z.literal('remote').describe('The global queue through a gateway (`swarmage gateway`): no database access on this machine.'),
  config: z.strictObject({
    url: z
      .string()
      .regex(/^wss?:\/\/[^\s/]+/, 'a ws:// or wss:// URL of a gateway, such as "wss://gateway.example.com:7071"')
      .describe('The gateway: ws://host:port, or wss:// when it serves TLS (or sits behind a proxy that does).'),
    token: z
      .string()
      .min(1)
      .optional()
      .describe(
        "This drone's gateway token (`swarmage gateway token add`); SWARMAGE_GATEWAY_TOKEN, when set, wins. " +
          'Prefer the variable: a config file is often shared, a token is a secret.',
      ),
  }),
});

/**
 * `queue.module` picks the global queue's implementation (core/queue/modules.ts), as the seed's
 * drone did; `config` is that module's.
 */
const queueSchema = z
  .discriminatedUnion('module', [postgresQueue, remoteQueue], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `expected "postgres" (the default) or "remote", got ${JSON.stringify((issue.input as { module?: unknown } | undefined)?.module)}`
        : undefined,
  })
  .prefault({});

export type QueueConfig = z.output<typeof queueSchema>;
export type PostgresQueueConfig = z.output<typeof postgresQueue>['config'];
export type RemoteQueueConfig = z.output<typeof remoteQueue>['config'];

/** The Postgres module's settings, or null when the drone reaches its queue through a gateway. */
export function postgresSettings(config: { queue: QueueConfig } | null): PostgresQueueConfig | null {
  return config?.queue.module === 'postgres' ? config.queue.config : null;
}

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  alias: z.string().min(1).max(200).optional().describe("This drone's id; by default hostname-pid-random, kept in the local queue file."),
  queue: queueSchema,
  workers: z.record(taskTypeName, z.union([workerSpec, z.array(workerSpec).min(1)])).describe('Task type → worker (or array of worker instances) serving it.'),
  pollIntervalMs: z.number().int().min(10).default(2000),
  maxPerWorker: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .optional()
    .describe(
      'Capacity per worker instance: tasks of a type buffered locally at most (maxPerWorker × instances). Unset (the default): the drone sizes ' +
        "each type's buffer from what it measures — enough that its workers never wait for a claim, never more than they start within a quarter of a second.",
    ),
  leaseMs: z
    .number()
    .int()
    .min(1000)
    .max(MAX_INT32)
    .default(30_000)
    .describe('How long a claim lasts without a heartbeat before other drones may take the task.'),
  retry: z
    .strictObject({
      baseMs: z.number().int().min(0).max(MAX_INT32).default(1000),
      maxMs: z.number().int().min(0).max(MAX_INT32).default(3_600_000),
    })
    .prefault({}),
  shutdownGraceMs: z.number().int().min(0).default(10_000),
  localQueue: z
    .strictObject({
      path: z.string().min(1).default('swarmage-local.sqlite'),
      history: z
        .strictObject({
          keepSteps: z
            .number()
            .int()
            .min(0)
            .max(100_000_000)
            .default(100_000)
            .describe('Acknowledged steps kept as history (traces, task explorer), newest first; 0 keeps none.'),
          keepHours: z
            .number()
            .min(0)
            .max(24 * 365)
            .default(24)
            .describe('Acknowledged steps older than this are dropped, whatever keepSteps says.'),
        })
        .prefault({}),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
      file: z.string().min(1).optional().describe('Also write JSON lines here (relative to the config file).'),
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type WorkerSpec = z.output<typeof workerSpec>;

export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
}
