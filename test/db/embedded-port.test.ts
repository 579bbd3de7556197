import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { ensureEmbedded, stopEmbedded } from '../../core/db/embedded.js';
import { runCli } from '../helpers/drone.js';
import { tmpDir } from '../helpers/tmp.js';

/**
 * Each OS user has an embedded Postgres of their own. On Windows it listens on 127.0.0.1, where a
 * second user's server found the first one's port (54329, then the same for everyone) taken and
 * failed with "pg_ctl: could not start server". Reproduced here the way it happens there: a real
 * server on loopback TCP (`tcp: true`, Windows' transport) holds the port that a new data directory
 * would take. Everything runs in data directories of its own, on ports from 55720.
 */
const FIRST = 55720;

async function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

async function firstFree(from: number): Promise<number> {
  for (let port = from; port < from + 60; port++) if (await tcpFree(port)) return port;
  throw new Error(`no free port from ${from}`);
}

async function selectOne(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query('SELECT 1 AS one')).rows[0].one;
  } finally {
    await c.end();
  }
}

const remembered = (dataDir: string) => Number(fs.readFileSync(`${dataDir}.port`, 'utf8'));

describe("each user's embedded Postgres finds a free port and remembers it", () => {
  const home = tmpDir('swarmage-port-');
  fs.chmodSync(home, 0o755); // as root, Postgres runs as "postgres", which must be able to enter it
  const other = path.join(home, 'other-user', 'pg'); // the server that holds the port first
  const mine = path.join(home, 'me', 'pg');
  const pinned = path.join(home, 'pinned', 'pg');
  const sock = path.join(home, 'sock', 'pg');
  const squatter = net.createServer((s) => s.destroy());
  let held = 0;

  before(async () => {
    held = await firstFree(FIRST);
    await ensureEmbedded({ dataDir: other, port: held, tcp: true });
  });

  after(async () => {
    squatter.close();
    for (const dataDir of [other, mine, pinned, sock]) await stopEmbedded({ dataDir }).catch(() => {});
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('a new data directory whose first port another server holds takes a free one, remembered across stop and start', async () => {
    const url = await ensureEmbedded({ dataDir: mine, firstPort: held, tcp: true });
    const port = remembered(mine);
    assert.notEqual(port, held);
    assert.ok(port > held && port < held + 100, `picked ${port}`);
    assert.match(url, new RegExp(`@127\\.0\\.0\\.1:${port}/`));
    assert.equal(await selectOne(url), 1);
    assert.equal((fs.statSync(`${mine}.port`).mode & 0o777).toString(8), '600');

    await stopEmbedded({ dataDir: mine });
    assert.equal(await ensureEmbedded({ dataDir: mine, firstPort: held, tcp: true }), url, 'the same URL after a restart');
    assert.equal(remembered(mine), port);
    // The server holding the first port was never disturbed.
    assert.equal(await selectOne(await ensureEmbedded({ dataDir: other, port: held, tcp: true })), 1);
  });

  it('a port set in the config and held by another server: the clash is named, with the way out', async () => {
    await assert.rejects(ensureEmbedded({ dataDir: pinned, port: held, tcp: true }), (err: Error) => {
      assert.match(
        err.message,
        new RegExp(
          `^could not start the embedded Postgres in .*: port ${held} \\(queue\\.config\\.embedded\\.port\\) is taken by another server, on 127\\.0\\.0\\.1:${held}: ` +
            `another user's embedded Postgres, or another program; set queue\\.config\\.embedded\\.port to a free port, or remove it so that swarmage picks a free one`,
        ),
      );
      // Postgres's own words, from this start's log, are what told the clash apart.
      assert.match(err.message, /Address already in use/);
      return true;
    });
    assert.equal(fs.existsSync(`${pinned}.port`), false, 'a configured port is not remembered');
  });

  it('a remembered port taken while the server was stopped: it moves to a free one and remembers that', async () => {
    await stopEmbedded({ dataDir: mine });
    const before = remembered(mine);
    // Another program takes the port in the meantime: the server fails to bind it, and says so in its log.
    await new Promise<void>((resolve) => squatter.listen(before, '127.0.0.1', resolve));
    const progress: string[] = [];
    const url = await ensureEmbedded({ dataDir: mine, firstPort: held, tcp: true, onProgress: (m) => progress.push(m) });
    const after = remembered(mine);
    assert.ok(![held, before].includes(after), `moved to ${after}`);
    assert.match(url, new RegExp(`@127\\.0\\.0\\.1:${after}/`));
    assert.ok(progress.includes(`port ${before} is taken by another server; trying another…`), progress.join('\n'));
    assert.equal(await selectOne(url), 1);
  });

  it('over a Unix socket too: a port of its own, remembered, and shown by `swarmage db status`', async () => {
    const url = await ensureEmbedded({ dataDir: sock, firstPort: held });
    const port = remembered(sock);
    assert.notEqual(port, held);
    assert.match(url, new RegExp(`&port=${port}$`));
    assert.equal(await selectOne(url), 1);
    const config = path.join(home, 'swarmage.config.json');
    fs.writeFileSync(config, JSON.stringify({ workers: {}, queue: { config: { embedded: { dataDir: sock } } } }));
    const res = await runCli(['db', 'status', '--config', config], { env: { SWARMAGE_DATABASE_URL: undefined } });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(
      res.stdout,
      `embedded Postgres: running on the Unix socket ${sock}/.s.PGSQL.${port} (port ${port}, remembered in ${sock}.port; data ${sock})\n`,
    );

    // A cluster from before ports were remembered (no file) keeps the port of its running server.
    fs.rmSync(`${sock}.port`);
    assert.equal(await ensureEmbedded({ dataDir: sock, firstPort: held }), url);
    assert.equal(remembered(sock), port);
  });
});
