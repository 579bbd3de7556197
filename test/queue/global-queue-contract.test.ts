/**
 * The GlobalQueue contract (global-queue-contract.ts) against every implementation: Postgres, with
 * and without asyncClaimCommit, and the remote module through a real gateway.
 */
import { after, before } from 'node:test';
import { PgQueue } from '../../core/queue/pg/pgQueue.js';
import { freshSchema, testDatabaseUrl } from '../helpers/db.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
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

const gateways: TestGateway[] = [];
after(async () => {
  for (const g of gateways) await g.close();
});

globalQueueContract('RemoteQueue through a gateway', async () => {
  const g = await startGateway(url);
  gateways.push(g);
  return g.remote();
});
