import { parse, intOption, UsageError } from '../usage.js';
import { connectClient, findConfig } from '../context.js';

export const help = `Usage: swarmage enqueue TYPE [JSON] [options]

Puts tasks of TYPE on the global queue and prints their ids, one per line. JSON is the task's
data (default null); it must be valid JSON, so a string needs quotes: '"hello"'.

  --count N           enqueue N tasks with the same data (default 1)
  --postback NAME     when the task is done, its result is enqueued as a task of type NAME
  --priority P        higher runs first (default 0)
  --delay MS          do not run before MS milliseconds from now
  --max-attempts N    attempts before the task stays failed (default 5)
  --wait              wait for the results and print each as JSON on stdout (instead of ids)
  --timeout SECONDS   with --wait: give up after SECONDS (default 30); the tasks stay queued
  --config FILE       default ./swarmage.config.json (only for its database settings)`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    count: { type: 'string' },
    postback: { type: 'string' },
    priority: { type: 'string' },
    delay: { type: 'string' },
    'max-attempts': { type: 'string' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
    config: { type: 'string' },
  });
  const [type, json, ...extra] = positionals;
  if (!type) throw new UsageError('enqueue needs a task type: swarmage enqueue TYPE [JSON]');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}: the data is one JSON argument; quote it`);
  let data: unknown = null;
  if (json !== undefined) {
    try {
      data = JSON.parse(json);
    } catch (err) {
      throw new UsageError(
        `the data argument is not valid JSON (${(err as Error).message}): ${JSON.stringify(json.slice(0, 200))}; a string needs quotes, e.g. '"text"'`,
      );
    }
  }
  const count = intOption(values.count, '--count', 1, 1_000_000) ?? 1;
  const priority = intOption(values.priority, '--priority', -(2 ** 31) + 1, 2 ** 31 - 1);
  const delay = intOption(values.delay, '--delay', 0);
  const maxAttempts = intOption(values['max-attempts'], '--max-attempts', 1, 1000);
  const timeout = intOption(values.timeout, '--timeout', 1, 86_400);
  if (values.wait && values.postback) throw new UsageError('--wait makes its own postback; give either --wait or --postback');
  if (timeout !== undefined && !values.wait) throw new UsageError('--timeout goes with --wait');
  const runAt = delay ? new Date(Date.now() + delay) : undefined;

  const client = await connectClient(findConfig(values.config, false));
  try {
    if (values.wait) {
      const results = await client.requestMany(
        type,
        Array.from({ length: count }, () => data),
        {
          priority,
          runAt,
          maxAttempts,
          timeoutMs: (timeout ?? 30) * 1000,
          onEnqueued: (ids) =>
            process.stderr.write(`enqueued ${ids.length} task(s): ${ids.length > 10 ? `${ids[0]} … ${ids[ids.length - 1]}` : ids.join(' ')}\n`),
        },
      );
      for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
    } else {
      const ids: string[] = [];
      for (let i = 0; i < count; i += 10_000) {
        const n = Math.min(10_000, count - i);
        ids.push(
          ...(await client.enqueueMany(Array.from({ length: n }, () => ({ type, data, postback: values.postback ?? null, priority, runAt, maxAttempts })))),
        );
      }
      process.stdout.write(ids.join('\n') + '\n');
    }
  } finally {
    await client.close();
  }
  return 0;
}
