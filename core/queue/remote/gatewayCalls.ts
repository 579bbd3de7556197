/**
 * Each method a drone may call through the gateway: the shape its arguments must have (the gateway
 * trusts nobody: a frame is checked before the queue sees it), what the token must allow, and the
 * call itself. Drone ids are filed under the token's name, so that one token's drones cannot
 * complete, fail or release what another token's drones hold.
 */
import { z } from 'zod';
import { formatPath } from '../../config/errors.js';
import type { GlobalQueue } from '../globalQueue.js';
import { allowed, type Grants, type RemoteMethod } from './protocol.js';

/** A refusal of the gateway's own (not the database's): a call the token does not allow, or bad arguments. */
export class GatewayRefusal extends Error {
  override name = 'GatewayRefusal';
  readonly code = 'EACCES';
}

export interface Caller {
  grants: Grants;
  /** Postback types this connection waits on: their wake-ups are sent to it. */
  postbacks: Set<string>;
}

const MAX_INT32 = 2 ** 31 - 1;
const MANY = 100_000;
const MAX_POSTBACK_TYPES = 1000;
const id = z.string().regex(/^[0-9]{1,19}$/, 'a task id');
const ids = z.array(id).max(MANY);
const text = z.string().max(16 * 1024 * 1024);
const name = z.string().min(1).max(300);
const ms = z.number().int().min(0).max(MAX_INT32);
const count = z.number().int().min(1).max(MANY);
/** An argument the caller may leave out: undefined travels as null inside an array. */
const opt = <T extends z.ZodType>(s: T) => s.nullish().transform((v) => v ?? undefined);

// Unknown keys are dropped, not refused: a newer drone may send fields this gateway does not know.
const newTask = z.object({
  type: name,
  data: z.unknown().optional(),
  postback: name.nullish(),
  priority: z.number().optional(),
  runAt: z.date().optional(),
  maxAttempts: z.number().optional(),
  replayOf: z.string().max(400).nullish(),
});
const droneRow = z.object({
  id: name,
  host: z.string().max(300),
  pid: z.number().int(),
  taskTypes: z.array(name).max(10_000),
  startedAt: z.date(),
  version: z.string().max(100).optional(),
  rates: z.record(z.string(), z.number()).optional(),
  wakeups: z.string().max(100).optional(),
});
const filter = z.strictObject({ types: z.array(name).max(10_000).optional(), group: z.string().max(1000).optional(), since: z.date().optional() });
const selection = z.union([z.strictObject({ ids }), filter]);

type Handler = (q: GlobalQueue, args: unknown[], c: Caller) => Promise<unknown>;

interface Spec {
  args: z.ZodType<unknown[]>;
  inspect?: boolean;
  run: Handler;
}

/** "<token name>/<drone id>": the id the queue knows a drone of this token by. */
export const filed = (c: Caller, droneId: string) => `${c.grants.name}/${droneId}`;

function mayClaim(c: Caller, types: Iterable<string>, what: string): void {
  for (const t of types) {
    if (!allowed(c.grants.claim, t)) {
      throw new GatewayRefusal(
        `token "${c.grants.name}" may not ${what} ${JSON.stringify(t)}; it may claim ${list(c.grants.claim)} (swarmage gateway token add)`,
      );
    }
  }
}

function mayEnqueue(c: Caller, types: Iterable<string>): void {
  for (const t of types) {
    if (!allowed(c.grants.enqueue, t)) {
      throw new GatewayRefusal(`token "${c.grants.name}" may not enqueue ${JSON.stringify(t)}; it may enqueue ${list(c.grants.enqueue)}`);
    }
  }
}

const list = (patterns: string[]) => (patterns.length === 0 ? 'no types' : patterns.map((p) => JSON.stringify(p)).join(', '));

const spec = <A extends unknown[]>(args: z.ZodType<A>, run: (q: GlobalQueue, a: A, c: Caller) => Promise<unknown>, inspect = false): Spec => ({
  args: args as z.ZodType<unknown[]>,
  inspect,
  run: run as Handler,
});

const inspect = <A extends unknown[]>(args: z.ZodType<A>, run: (q: GlobalQueue, a: A) => Promise<unknown>): Spec => spec(args, (q, a) => run(q, a), true);

export const CALLS: Record<RemoteMethod, Spec> = {
  // The gateway migrated the schema when it started: a drone has nothing to create.
  migrate: spec(z.tuple([]), async () => []),
  enqueue: spec(z.tuple([z.array(newTask).max(MANY)]), (q, [tasks], c) => {
    mayEnqueue(
      c,
      tasks.map((t) => t.type),
    );
    return q.enqueue(tasks);
  }),
  claim: spec(z.tuple([name, z.array(z.strictObject({ type: name, limit: count })).max(10_000), ms, opt(ids)]), (q, [drone, wants, lease, acks], c) => {
    mayClaim(
      c,
      wants.map((w) => w.type),
      'claim',
    );
    return q.claim(filed(c, drone), wants, lease, acks);
  }),
  complete: spec(z.tuple([name, z.array(z.strictObject({ id, resultJson: text, postback: name.nullish() })).max(MANY)]), (q, [drone, done], c) =>
    q.complete(filed(c, drone), done),
  ),
  fail: spec(
    z.tuple([
      name,
      z
        .array(
          z.strictObject({
            id,
            error: text,
            stack: text.nullish(),
            retryInMs: ms,
            final: z.boolean().optional(),
            resumeType: name.nullish(),
            resumeDataJson: text.nullish(),
          }),
        )
        .max(MANY),
    ]),
    (q, [drone, failures], c) => q.fail(filed(c, drone), failures),
  ),
  release: spec(z.tuple([name, ids, opt(z.array(z.strictObject({ id, resumeType: name, resumeDataJson: text })).max(MANY))]), (q, [drone, which, resume], c) =>
    q.release(filed(c, drone), which, resume),
  ),
  releaseAllExcept: spec(z.tuple([name, ids]), (q, [drone, keep], c) => q.releaseAllExcept(filed(c, drone), keep)),
  reclaim: spec(z.tuple([name, ids, ms]), async (q, [drone, held, lease], c) => [...(await q.reclaim(filed(c, drone), held, lease))]),
  heartbeat: spec(z.tuple([droneRow, ms, opt(ids)]), (q, [row, lease, held], c) => {
    mayClaim(c, row.taskTypes, 'serve');
    return q.heartbeat({ ...row, id: filed(c, row.id) }, lease, held);
  }),
  rescueExpired: spec(z.tuple([]), (q) => q.rescueExpired()),
  deregister: spec(z.tuple([name]), (q, [drone], c) => q.deregister(filed(c, drone))),
  clock: spec(z.tuple([]), (q) => q.clock()),
  takePostbacks: spec(z.tuple([name, count]), (q, [type, limit], c) => {
    // A postback type names one requester's wait; only a token that may enqueue can have made one.
    if (c.grants.enqueue.length === 0) throw new GatewayRefusal(`token "${c.grants.name}" may not enqueue, so it has no answers to take`);
    c.postbacks.delete(type);
    c.postbacks.add(type);
    // The oldest waits are long over: a connection that asks for thousands keeps the latest.
    if (c.postbacks.size > MAX_POSTBACK_TYPES) c.postbacks.delete(c.postbacks.values().next().value!);
    return q.takePostbacks(type, limit);
  }),
  progress: spec(z.tuple([ids, name]), (q, [which, type]) => q.progress(which, type)),

  overview: inspect(z.tuple([count]), (q, [cap]) => q.overview(cap)),
  countType: inspect(z.tuple([name]), (q, [type]) => q.countType(type)),
  fleet: inspect(z.tuple([]), (q) => q.fleet()),
  failureGroups: inspect(z.tuple([filter, opt(count)]), (q, [f, limit]) => q.failureGroups(f, limit)),
  listFailed: inspect(z.tuple([opt(filter.extend({ afterId: id.optional(), limit: count.optional() }))]), (q, [o]) => q.listFailed(o)),
  retryFailed: inspect(z.tuple([selection]), (q, [sel]) => q.retryFailed(sel)),
  deleteFailed: inspect(z.tuple([selection]), (q, [sel]) => q.deleteFailed(sel)),
  findTask: inspect(z.tuple([id]), (q, [task]) => q.findTask(task)),
  postbacksOf: inspect(z.tuple([id]), (q, [task]) => q.postbacksOf(task)),
  browse: inspect(
    z.tuple([
      z.union([
        z.strictObject({ state: z.enum(['available', 'scheduled', 'failed']), type: name, after: z.string().max(100).optional(), limit: count.optional() }),
        z.strictObject({
          state: z.literal('claimed'),
          type: name.optional(),
          claimedBy: name.optional(),
          after: z.string().max(100).optional(),
          limit: count.optional(),
        }),
      ]),
    ]),
    (q, [query]) => q.browse(query),
  ),
  cancel: inspect(z.tuple([ids]), (q, [which]) => q.cancel(which)),
  runNow: inspect(z.tuple([ids]), (q, [which]) => q.runNow(which)),
};

/** Checks and runs one call; every refusal says which argument, or what the token lacks. */
export async function runCall(queue: GlobalQueue, method: string, args: unknown, c: Caller): Promise<unknown> {
  const s = Object.hasOwn(CALLS, method) ? CALLS[method as RemoteMethod] : undefined;
  if (!s) throw new GatewayRefusal(`no such method: ${JSON.stringify(method).slice(0, 100)}`);
  if (s.inspect && !c.grants.inspect) {
    throw new GatewayRefusal(`token "${c.grants.name}" may not see or operate the whole queue (${method}); add it again with --inspect to allow that`);
  }
  const parsed = s.args.safeParse(args);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const [arg, ...rest] = i.path;
    const where = typeof arg === 'number' ? `argument ${arg + 1}${rest.length ? ` at ${formatPath(rest)}` : ''}` : 'its arguments';
    throw new GatewayRefusal(`${method}: ${where}: ${i.message}`);
  }
  return s.run(queue, parsed.data, c);
}
