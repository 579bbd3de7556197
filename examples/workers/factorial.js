// The original Swarmage's demo, first step: n! — then chain to the hexadecimal worker of the same drone.

// The task data's JSON Schema: the UI's Enqueue view builds a form from it, and flags tasks that do not match.
export const schema = {
  title: 'factorial',
  description: 'n, to compute n! (then shown in hexadecimal)',
  type: 'integer',
  minimum: 0,
  maximum: 10000,
};

export default {
  work(task, ctx) {
    const n = Number(task.data);
    if (!Number.isInteger(n) || n < 0 || n > 10000) throw new Error(`factorial needs an integer from 0 to 10000, got ${JSON.stringify(task.data)}`);
    let f = 1n;
    for (let i = 2n; i <= BigInt(n); i++) f *= i;
    ctx.log.debug(`${n}! = ${f}`);
    // JSON has no BigInt: pass the number on as a decimal string.
    return { type: 'local:hexadecimal', data: f.toString() };
  },
};
