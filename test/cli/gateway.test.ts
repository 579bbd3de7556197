/**
 * A drone with no database at all: `swarmage gateway` holds the Postgres connection, the drone and
 * the CLI on "another machine" have only the gateway's URL and their token (and
 * SWARMAGE_REQUIRE_DATABASE_URL=1, so that no embedded Postgres could stand in).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { runCli } from '../helpers/drone.js';
import { EXAMPLES, BIN, tmpDir, waitFor } from '../helpers/tmp.js';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway.js';
import { selfSignedCert } from '../helpers/tls.js';

/** The environment of a machine with no database: nothing that names one. */
function noDatabaseEnv(extra: Record<string, string>): Record<string, string | undefined> {
  return { SWARMAGE_DATABASE_URL: undefined, SWARMAGE_LISTEN_DATABASE_URL: undefined, SWARMAGE_REQUIRE_DATABASE_URL: '1', ...extra };
}

describe('swarmage gateway, and a drone with only its URL and token', () => {
  let dbUrl: string;
  let schema: string;
  let tokensFile: string;
  let gw: GatewayProcess;

  before(async () => {
    dbUrl = await testDatabaseUrl();
    schema = freshSchema();
    tokensFile = path.join(tmpDir(), 'tokens.json');
  });
  after(async () => {
    gw?.proc.kill('SIGTERM');
    await gw?.exited;
  });

  it('refuses to start without tokens, and says how to add one', async () => {
    const res = await runCli(['gateway', '--tokens', tokensFile, '--listen', '127.0.0.1:0'], { env: { SWARMAGE_DATABASE_URL: dbUrl } });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /no tokens in .*tokens\.json: no drone could connect\. Add one first: swarmage gateway token add NAME --claim TYPES/);
  });

  it('runs the demo ("78") for a drone and a CLI that reach the queue only through it', async () => {
    const add = (...args: string[]) => runCli(['gateway', 'token', 'add', ...args, '--tokens', tokensFile]);
    const droneToken = await add('edge-1', '--claim', 'factorial,hexadecimal');
    assert.equal(droneToken.code, 0, droneToken.stderr);
    assert.match(droneToken.stdout, /^swg_[A-Za-z0-9_-]{43}\n$/);
    assert.match(droneToken.stderr, /shown only now/);
    const cliToken = await add('requester', '--enqueue', 'factorial', '--inspect');
    const listed = await runCli(['gateway', 'token', 'list', '--tokens', tokensFile]);
    assert.match(listed.stdout, /^edge-1 +claim factorial,hexadecimal {2}enqueue -/m);
    assert.match(listed.stdout, /^requester +claim - {2}enqueue factorial {2}inspect/m);
    const bad = await add('Bad Name', '--claim', 'x');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /token "Bad Name": name: lower-case letters/);

    gw = await spawnGateway(dbUrl, schema, tokensFile);

    const dir = tmpDir();
    fs.cpSync(path.join(EXAMPLES, 'workers'), path.join(dir, 'workers'), { recursive: true });
    const config = path.join(dir, 'swarmage.config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        queue: { module: 'remote', config: { url: gw.url } },
        workers: { factorial: { module: './workers/factorial.js' }, hexadecimal: { module: './workers/hexadecimal.js' } },
        localQueue: { path: 'local.sqlite' },
      }),
    );
    // Without a token the drone says which setting is missing.
    const noToken = await runCli(['drone', '--config', config], { env: noDatabaseEnv({}), timeoutMs: 30_000 });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /queue\.module is "remote" but no gateway token is given: set SWARMAGE_GATEWAY_TOKEN/);

    // A token that may not claim what the config serves: the drone stops at start and names the type.
    const wrongToken = await runCli(['drone', '--config', config], {
      env: noDatabaseEnv({ SWARMAGE_GATEWAY_TOKEN: cliToken.stdout.trim() }),
      timeoutMs: 30_000,
    });
    assert.equal(wrongToken.code, 1);
    assert.match(wrongToken.stderr, /token "requester" may not serve "factorial"; it may claim no types/);

    const drone = spawn(process.execPath, [BIN, 'drone', '--config', config], {
      env: { ...process.env, ...noDatabaseEnv({ SWARMAGE_GATEWAY_TOKEN: droneToken.stdout.trim() }) } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const k of ['SWARMAGE_DATABASE_URL', 'SWARMAGE_LISTEN_DATABASE_URL']) assert.equal(drone.spawnargs.includes(k), false);
    let out = '';
    drone.stderr!.on('data', (d) => (out += d));
    drone.stdout!.on('data', (d) => (out += d));
    const stopped = new Promise((resolve) => drone.on('exit', resolve));
    try {
      await waitFor('the drone running', () => /drone \S+ running on gateway ws:\/\/127\.0\.0\.1:\d+/.test(out) || undefined, 60_000);
      const cli = { env: noDatabaseEnv({ SWARMAGE_GATEWAY_TOKEN: cliToken.stdout.trim() }) };
      const res = await runCli(['enqueue', 'factorial', '5', '--wait', '--timeout', '60', '--config', config], cli);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, '"78"\n');
      // The requester may not enqueue hexadecimal: one clear line, nothing enqueued.
      const refused = await runCli(['enqueue', 'hexadecimal', '1', '--config', config], cli);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /swarmage enqueue: token "requester" may not enqueue "hexadecimal"; it may enqueue "factorial"\n$/);
      // Its token may inspect: the status through the gateway lists the drone under its token's name.
      const status = await runCli(['status', '--config', config], cli);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /^Database: the gateway ws:\/\/127\.0\.0\.1:\d+ \(from queue\.config\.url in /);
      assert.match(status.stdout, /^edge-1\/\S+ .* alive /m);
    } finally {
      drone.kill('SIGTERM');
      await stopped;
    }
    assert.match(out, /drone \S+ stopped/);
    // Postgres knows the drone by its token's name, and nothing is left behind.
    const sql = await sqlClient(dbUrl);
    try {
      const left = await sql.query(`SELECT count(*)::int AS n FROM ${schema}.tasks`);
      assert.equal(left.rows[0].n, 0);
    } finally {
      await sql.end();
    }
  });

  it("serves wss:// with a certificate; a drone's machine trusts it as Node does (NODE_EXTRA_CA_CERTS)", async (t) => {
    const cert = selfSignedCert();
    if (!cert) {
      t.skip('no openssl to make a test certificate');
      return;
    }
    const tls = await spawnGateway(dbUrl, schema, tokensFile, 0, ['--certfile', cert.certFile, '--keyfile', cert.keyFile]);
    try {
      assert.match(tls.url, /^wss:\/\//);
      const token = (await runCli(['gateway', 'token', 'add', 'tls-inspector', '--inspect', '--tokens', tokensFile])).stdout.trim();
      const config = path.join(tmpDir(), 'swarmage.config.json');
      fs.writeFileSync(config, JSON.stringify({ queue: { module: 'remote', config: { url: tls.url } }, workers: {} }));
      const untrusted = await runCli(['status', '--config', config], { env: noDatabaseEnv({ SWARMAGE_GATEWAY_TOKEN: token }) });
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /swarmage status: gateway wss:\/\/127\.0\.0\.1:\d+: self-signed certificate/);
      const trusted = await runCli(['status', '--config', config], {
        env: noDatabaseEnv({ SWARMAGE_GATEWAY_TOKEN: token, NODE_EXTRA_CA_CERTS: cert.certFile }),
      });
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.match(trusted.stdout, /^Database: the gateway wss:\/\/127\.0\.0\.1:\d+ /);
    } finally {
      tls.proc.kill('SIGTERM');
      await tls.exited;
    }
  });
});
