// A worker written in TypeScript against the package's types: `npx tsc` compiles it to
// dist/greet.js, which swarmage.config.json names. The types check what work() is given (task.data
// is a Greeting here) and that a `local:` result has the shape the drone expects.
import type { ChainTo, WorkerModule } from 'swarmage';

interface Greeting {
  name: string;
  /** Shout it: hand the greeting on to this drone's "shout" worker. */
  loud?: boolean;
}

// The task data's JSON Schema: the UI's Enqueue view builds a form from it.
export const schema = {
  title: 'greet',
  type: 'object',
  properties: { name: { type: 'string' }, loud: { type: 'boolean' } },
  required: ['name'],
};

const greet: WorkerModule<Greeting> = {
  work(task, ctx): string | ChainTo<string> {
    const text = `Hello, ${task.data.name}!`;
    ctx.log.debug(`greeting ${task.data.name} (attempt ${task.attempt} of ${task.maxAttempts})`);
    return task.data.loud ? { type: 'local:shout', data: text } : text;
  },
};

export default greet;
