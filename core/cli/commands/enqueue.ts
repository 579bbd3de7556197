import fs from 'node:fs';
import path from 'node:path';
import { parse, intOption, UsageError } from '../usage.js';
import { parseJson } from '../../util/json.js';
import { parseDuration } from '../../util/duration.js';
import { MAX_DELAY_MS } from '../../api/contract.js';
import { connectClient, findConfig } from '../context.js';
import { TaskFailedError } from '../../swarmageClient.js';

export const help = `Usage: swarmage enqueue TYPE [JSON | - | @FILE] [options]

Puts tasks of TYPE on the global queue and prints their ids, one per line. JSON is the task's
data (default null); it must be valid JSON, so a string needs quotes: '"hello"'. For data larger
than a command line, give - to read it from standard input, or @FILE to read it from a file
(e.g. @task.json).

  --count N           enqueue N tasks with the same data (default 1)
  --postback NAME     when the task is done, its result is enqueued as a task of type NAME
  --priority P        higher runs first (default 0)
  --delay DURATION    do not run before DURATION from now: 30s, 5m, 1.5h, 2d, 250ms
                      (a bare number is milliseconds); at most 366 days
  --max-attempts N    attempts before the task stays failed (default 5)
  --wait              wait for the results and print each as JSON on stdout (instead of ids);
                      says on stderr what it waits on (no drone serves TYPE, a retry due later, …);
                      a task that fails its last attempt ends it at once: its error, exit status 1
  --timeout SECONDS   with --wait: give up after SECONDS (default 30), saying why; the tasks stay queued
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
  const data = json === undefined ? null : await readData(json);
  const count = intOption(values.count, '--count', 1, 1_000_000) ?? 1;
  const priority = intOption(values.priority, '--priority', -(2 ** 31) + 1, 2 ** 31 - 1);
  const delay = delayOption(values.delay);
  const maxAttempts = intOption(values['max-attempts'], '--max-attempts', 1, 1000);
  const timeout = intOption(values.timeout, '--timeout', 1, 86_400);
  if (values.wait && values.postback) throw new UsageError('--wait makes its own postback; give either --wait or --postback');
  if (timeout !== undefined && !values.wait) throw new UsageError('--timeout goes with --wait');
  const runAt = delay ? new Date(Date.now() + delay) : undefined;

  const client = await connectClient(findConfig(values.config, false));
  try {
    if (values.wait) {
      const results = await client
        .requestMany(
          type,
          Array.from({ length: count }, () => data),
          {
            priority,
            runAt,
            maxAttempts,
            timeoutMs: (timeout ?? 30) * 1000,
            onEnqueued: (ids) =>
              process.stderr.write(`enqueued ${ids.length} task(s): ${ids.length > 10 ? `${ids[0]} … ${ids[ids.length - 1]}` : ids.join(' ')}\n`),
            // Only what is not simply slow.
            onStatus: (s) => s.kind !== 'running' && s.kind !== 'queued' && process.stderr.write(`waiting: ${s.message}\n`),
          },
        )
        .catch((err: unknown) => {
          if (!(err instanceof TaskFailedError)) throw err;
          process.stderr.write(`swarmage enqueue: ${err.message}\n${err.workerStack ? `${err.workerStack}\n` : ''}`);
          return null;
        });
      if (results === null) return 1;
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

function delayOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === null || ms > MAX_DELAY_MS) {
    throw new UsageError(
      `--delay must be a duration such as 30s, 5m, 1.5h or 2d (a bare number is milliseconds) of at most 366 days, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** The data argument: JSON text, `-` for standard input, or `@FILE` for a file's content (neither is valid JSON). */
async function readData(arg: string): Promise<unknown> {
  if (arg !== '-' && !arg.startsWith('@')) {
    try {
      return JSON.parse(arg);
    } catch (err) {
      throw new UsageError(
        `the data argument is not valid JSON (${(err as Error).message}): ${JSON.stringify(arg.slice(0, 200))}; a string needs quotes, e.g. '"text"'`,
      );
    }
  }
  let text: string;
  let where: string;
  if (arg === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
    where = 'the data on standard input';
  } else {
    const file = path.resolve(arg.slice(1));
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the data file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    where = `the data file ${file}`;
  }
  const parsed = parseJson(text.replace(/^\uFEFF/, ''));
  if (!parsed.ok) throw new UsageError(`${where} is not valid JSON: ${parsed.problem.message} at line ${parsed.problem.line}, column ${parsed.problem.column}`);
  return parsed.value;
}
