import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type pg from 'pg';
import { testDatabaseUrl, freshSchema, sqlClient } from '../helpers/db.js';
import { startDrone, type TestDrone } from '../helpers/drone.js';
import { FIXTURES, waitFor } from '../helpers/tmp.js';
import { QueueView } from '../../core/queue/queueView.js';

// A chain that goes on through a postback: task A's result becomes task B of another type. From
// either trace the other can be found, while B waits on the global queue and after it ran.
describe('following a chain through a postback', () => {
  let url: string;
  let sql: pg.Client;
  const drones: TestDrone[] = [];

  before(async () => {
    url = await testDatabaseUrl();
    sql = await sqlClient(url);
  });
  after(async () => {
    await Promise.all(drones.map((d) => d.drone.stop()));
    await sql.end();
  });

  it('A → postback B: A’s lookup finds B waiting, then B’s trace in this drone; B’s trace names A', async () => {
    const schema = freshSchema();
    const echo = { module: path.join(FIXTURES, 'workers/echo.js') };
    // The first drone serves only "first": B waits on the global queue until a drone serves "second".
    const one = await startDrone(url, schema, { workers: { first: echo } });
    drones.push(one);
    const [a] = await one.drone.queue.enqueue([{ type: 'first', data: { n: 1 }, postback: 'second' }]);
    const view = new QueueView(one.drone.queue, () => one.drone.id);
    // The lookup asks the global queue and the local queue at once: a postback may appear between the two answers.
    const waiting = await waitFor('the postback on the queue', async () => {
      const found = await view.lookup(a, one.drone.explorer);
      return found.postbacks.length === 1 && found.trace ? found : null;
    });
    assert.equal(waiting.trace?.traceId, a, 'A ran here');
    const b = waiting.postbacks[0].id;
    assert.equal(waiting.postbacks[0].answers, a);
    assert.equal((await view.lookup(b, one.drone.explorer)).answers, a, 'B, still queued, names A');

    // Now the same drone serves "second" too (a restart on a new config keeps its local queue).
    await one.drone.stop();
    const two = await startDrone(url, schema, { workers: { first: echo, second: echo }, dir: path.dirname(one.config.localQueue.path) });
    drones.push(two);
    const traceB = await waitFor('B ran', async () => {
      const t = await two.drone.explorer.trace(b);
      return t?.steps.every((s) => s.state === 'done') ? t : null;
    });
    assert.equal(traceB.answers, a, 'B’s trace links back to A');
    // The trace is done once the local queue has B's outcome; Postgres hears of it in the next round.
    const view2 = new QueueView(two.drone.queue, () => two.drone.id);
    const after = await waitFor('B acknowledged', async () => {
      const found = await view2.lookup(a, two.drone.explorer);
      return found.postbacks.length === 0 ? found : null;
    });
    assert.deepEqual(after.answeredBy, [b], 'and found in this drone’s traces');
    assert.equal(after.note, null);
  });
});
