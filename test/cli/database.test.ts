import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { runCli } from '../helpers/drone.js';
import { tmpDir } from '../helpers/tmp.js';
import { freshSchema, testDatabaseUrl, testEmbedded } from '../helpers/db.js';

/** The line every command prints on stderr when it runs on the embedded Postgres. */
const NOTICE =
  /^swarmage: using the embedded Postgres at (\S+) \(no SWARMAGE_DATABASE_URL or queue\.config\.connectionString\): fine for a workstation; drones on other machines cannot share it\. Set SWARMAGE_REQUIRE_DATABASE_URL=1 to forbid this\.$/;

/** The data directories of the Postgres servers running on this machine (`postgres -D DIR`). */
function postgresDataDirs(): string[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-af', 'bin/postgres -D'], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return out.split('\n').flatMap((l) => /bin\/postgres -D (\S+)/.exec(l)?.[1] ?? []);
}

function configIn(dir: string, config: unknown): string {
  const file = path.join(dir, 'swarmage.config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('which database the CLI uses, said out loud', () => {
  describe('where the embedded Postgres is forbidden, a missing URL is one clear error and no server starts', () => {
    /** Every command that opens a database, in a fresh SWARMAGE_HOME where an embedded server would be created. */
    async function refusedEverywhere(config: unknown, env: Record<string, string | undefined>, because: RegExp): Promise<void> {
      const home = tmpDir('swarmage-home-');
      const dir = tmpDir();
      const file = configIn(dir, config);
      const fullEnv = { SWARMAGE_HOME: home, SWARMAGE_DATABASE_URL: undefined, SWARMAGE_REQUIRE_DATABASE_URL: undefined, ...env };
      const before = postgresDataDirs();
      for (const args of [['drone'], ['enqueue', 'factorial', '5'], ['status'], ['status', '--json'], ['migrate']]) {
        const res = await runCli([...args, '--config', file], { cwd: dir, env: fullEnv });
        const what = `swarmage ${args.join(' ')}`;
        assert.equal(res.code, 1, `${what}: ${res.stderr}`);
        assert.equal(res.stdout, '', what);
        const lines = res.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, `${what}: one line, no stack:\n${res.stderr}`);
        assert.equal(
          lines[0].replace(because, '<why>'),
          `swarmage ${args[0]}: no database URL: set SWARMAGE_DATABASE_URL or queue.config.connectionString in ${file}; the embedded Postgres is disabled by <why>`,
        );
      }
      assert.deepEqual(fs.readdirSync(home), [], 'nothing written where the embedded server would live');
      assert.deepEqual(postgresDataDirs(), before, 'no Postgres started');
    }

    it('by SWARMAGE_REQUIRE_DATABASE_URL=1 (and =true)', async () => {
      const config = { workers: {} };
      await refusedEverywhere(config, { SWARMAGE_REQUIRE_DATABASE_URL: '1' }, /SWARMAGE_REQUIRE_DATABASE_URL=1$/);
      await refusedEverywhere(config, { SWARMAGE_REQUIRE_DATABASE_URL: 'true' }, /SWARMAGE_REQUIRE_DATABASE_URL=true$/);
    });

    it('by "embedded": false in queue.config, naming the file', async () => {
      await refusedEverywhere({ queue: { config: { embedded: false } }, workers: {} }, {}, /queue\.config\.embedded=false in \/\S+\/swarmage\.config\.json$/);
    });

    it('a value of SWARMAGE_REQUIRE_DATABASE_URL that means neither yes nor no forbids it too, and says so', async () => {
      await refusedEverywhere({ workers: {} }, { SWARMAGE_REQUIRE_DATABASE_URL: 'yes' }, /SWARMAGE_REQUIRE_DATABASE_URL="yes" \(.*\)$/);
    });

    it('with no config file the error says to give one', async () => {
      const res = await runCli(['enqueue', 'factorial', '5'], {
        cwd: tmpDir(),
        env: { SWARMAGE_HOME: tmpDir('swarmage-home-'), SWARMAGE_DATABASE_URL: undefined, SWARMAGE_REQUIRE_DATABASE_URL: '1' },
      });
      assert.equal(res.code, 1);
      assert.equal(
        res.stderr,
        'swarmage enqueue: no database URL: set SWARMAGE_DATABASE_URL or queue.config.connectionString in a config file (--config FILE); ' +
          'the embedded Postgres is disabled by SWARMAGE_REQUIRE_DATABASE_URL=1\n',
      );
    });

    it('a URL given makes the flag moot: the command runs on it', async () => {
      const url = await testDatabaseUrl();
      const dir = tmpDir();
      const file = configIn(dir, { queue: { config: { schema: freshSchema(), embedded: false } }, workers: {} });
      const res = await runCli(['enqueue', 'x', '1', '--config', file], { env: { SWARMAGE_DATABASE_URL: url, SWARMAGE_REQUIRE_DATABASE_URL: '1' } });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stderr, '');
    });
  });

  describe('on the embedded Postgres: one line on stderr per command, and status says "embedded"', () => {
    // The tests' own embedded server, named by queue.config.embedded: the same path as a first run's, without starting another.
    const embedded = testEmbedded();
    let file: string;
    const env = { SWARMAGE_DATABASE_URL: undefined, SWARMAGE_REQUIRE_DATABASE_URL: undefined };
    before(async () => {
      await testDatabaseUrl();
      file = configIn(tmpDir(), { queue: { config: { schema: freshSchema(), embedded } }, workers: {} });
    });

    it('enqueue, status, status --json and migrate each print the line once; stdout stays clean', async () => {
      for (const args of [['enqueue', 'x', '1'], ['status'], ['status', '--json'], ['migrate']]) {
        const res = await runCli([...args, '--config', file], { env });
        const what = `swarmage ${args.join(' ')}`;
        assert.equal(res.code, 0, `${what}: ${res.stderr}`);
        const lines = res.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, `${what}: only the notice on stderr:\n${res.stderr}`);
        assert.equal(NOTICE.exec(lines[0])?.[1], embedded.dataDir, `${what}: ${lines[0]}`);
        assert.doesNotMatch(res.stdout, /using the embedded Postgres/, what);
      }
    });

    it('status: "embedded" with the data directory and port, in words and in --json', async () => {
      const human = await runCli(['status', '--config', file], { env });
      assert.equal(human.code, 0, human.stderr);
      assert.equal(human.stdout.split('\n')[0], `Database: embedded (this machine's embedded Postgres: data ${embedded.dataDir}, port ${embedded.port})`);
      const json = await runCli(['status', '--json', '--config', file], { env });
      const out = JSON.parse(json.stdout);
      assert.equal(out.database.source, 'embedded');
      assert.equal(out.database.dataDir, embedded.dataDir);
      assert.equal(out.database.port, embedded.port);
      assert.doesNotMatch(out.database.url, /swarmage:|password/, 'no credentials');
      assert.ok(Array.isArray(out.types) && Array.isArray(out.drones), 'the overview as before');
    });

    it('status names a URL by host and database, without its password, and where it came from', async () => {
      const real = await testDatabaseUrl();
      const schema = freshSchema();
      const viaEnv = JSON.parse((await runCli(['status', '--json', '--config', file], { env: { ...env, SWARMAGE_DATABASE_URL: real } })).stdout);
      assert.equal(viaEnv.database.source, 'SWARMAGE_DATABASE_URL');
      assert.equal(viaEnv.database.from, 'SWARMAGE_DATABASE_URL');
      assert.doesNotMatch(JSON.stringify(viaEnv.database), /password|:[^/@]+@/);

      const withUrl = configIn(tmpDir(), { queue: { config: { schema, connectionString: real } }, workers: {} });
      const viaConfig = await runCli(['status', '--config', withUrl], { env });
      assert.equal(viaConfig.code, 0, viaConfig.stderr);
      assert.equal(viaConfig.stderr, '', 'no notice for a URL');
      assert.match(viaConfig.stdout.split('\n')[0], new RegExp(`^Database: postgres://\\S+ \\(from queue\\.config\\.connectionString in ${withUrl}\\)$`));
      const json = JSON.parse((await runCli(['status', '--json', '--config', withUrl], { env })).stdout);
      assert.equal(json.database.source, 'config');
    });
  });
});
