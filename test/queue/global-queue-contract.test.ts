/** The GlobalQueue contract (global-queue-contract.ts) against every implementation: Postgres, with and without asyncClaimCommit. */
import { before } from 'node:test';
import { PgQueue } from '../../core/queue/pg/pgQueue.js';
import { freshSchema, testDatabaseUrl } from '../helpers/db.js';
import { globalQueueContract } from './global-queue-contract.js';

let url: string;
before(async () => {
  url = await testDatabaseUrl();
});

for (const asyncClaimCommit of [false, true])
  globalQueueContract(`PgQueue${asyncClaimCommit ? ' with asyncClaimCommit' : ''}`, async () => {
    const q = new PgQueue({ connectionString: url, schema: freshSchema(), asyncClaimCommit });
    await q.migrate();
    return q;
  });
