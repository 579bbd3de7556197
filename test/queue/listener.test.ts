import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { TaskListener } from '../../core/queue/pg/listener.js';
import { channelFor } from '../../core/queue/pg/sql.js';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { waitFor } from '../helpers/tmp.js';
import type { WakeupState } from '../../core/queue/globalQueue.js';

/** The wake-up listener's check that its notifications arrive, on a real Postgres. */
describe('TaskListener', () => {
  let url: string;
  let sql: pg.Client;
  const listeners: TaskListener[] = [];
  before(async () => {
    url = await testDatabaseUrl();
    sql = await sqlClient(url);
  });
  after(async () => {
    for (const l of listeners) await l.stop();
    await sql.end();
  });

  function listener(
    schema: string,
    sendProbe: (channel: string, payload: string) => Promise<void>,
  ): { l: TaskListener; states: WakeupState[]; types: string[] } {
    const l = new TaskListener({ connectionString: url, direct: false, schema, sendProbe, probeTimeoutMs: 300 });
    listeners.push(l);
    const states: WakeupState[] = [];
    const types: string[] = [];
    l.on('state', (s) => states.push(s));
    l.on('notify', (t) => types.push(t));
    l.start();
    return { l, states, types };
  }
  const notify = (channel: string, payload: string) => sql.query('SELECT pg_notify($1, $2)', [channel, payload]).then(() => {});

  it('checks with a NOTIFY of its own, which is not passed on as a task type', async () => {
    const { l, states, types } = listener(freshSchema(), notify);
    await waitFor('notify', () => l.state === 'notify');
    assert.deepEqual(states, ['checking', 'notify']);
    assert.deepEqual(types, [], 'the probe is not a task type');
  });

  it('a probe that could not be sent is sent again', async () => {
    let tries = 0;
    const { l, states } = listener(freshSchema(), async (channel, payload) => {
      if (++tries === 1) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      await notify(channel, payload);
    });
    await waitFor('notify', () => l.state === 'notify');
    assert.equal(tries, 2);
    assert.deepEqual(states, ['checking', 'notify']);
  });

  it('a probe that never comes back means polling; the first notification that does arrive ends it', async () => {
    const schema = freshSchema();
    // As behind a pooler in transaction mode: the NOTIFY is sent, and goes nowhere this listener hears.
    const { l, states, types } = listener(schema, (_channel, payload) => notify(`${schema}_elsewhere`, payload));
    await waitFor('poll', () => l.state === 'poll');
    await notify(channelFor(schema), 'resize');
    await waitFor('notify', () => l.state === 'notify');
    assert.deepEqual(states, ['checking', 'poll', 'notify']);
    assert.deepEqual(types, ['resize']);
  });
});
