import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfigFile, resolveConfig } from '../../core/config/load.js';
import { ConfigError } from '../../core/config/errors.js';
import { configJsonSchema, postgresSettings } from '../../core/config/schema.js';
import { tmpDir } from '../helpers/tmp.js';

/** A directory holding a worker module `w.js`, so module paths resolve. */
function workerDir(): string {
  const dir = tmpDir('swarmage-config-');
  fs.writeFileSync(path.join(dir, 'w.js'), 'export default async () => null;\n');
  return dir;
}

/** The ConfigError that resolveConfig throws for `raw`. */
function configError(raw: unknown, dir = workerDir()): ConfigError {
  try {
    resolveConfig(raw, { dir });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected resolveConfig to throw');
}

function fileError(file: string): ConfigError {
  try {
    loadConfigFile(file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadConfigFile to throw');
}

describe('config loading', () => {
  it('fills in defaults for everything but the workers', () => {
    const dir = workerDir();
    const c = resolveConfig({ workers: { factorial: { module: 'w.js' } } }, { dir });
    assert.equal(c.pollIntervalMs, 2000);
    assert.equal(c.maxPerWorker, undefined, 'unset: the drone sizes buffers itself');
    assert.equal(c.leaseMs, 30_000);
    assert.equal(c.shutdownGraceMs, 10_000);
    assert.deepEqual(c.retry, { baseMs: 1000, maxMs: 3_600_000 });
    assert.equal(c.queue.module, 'postgres');
    assert.equal(c.queue.config.schema, 'swarmage');
    assert.equal(c.queue.config.poolSize, 4);
    assert.deepEqual(c.queue.config.embedded, {}, "allowed, and no port: each user's server picks a free one and remembers it");
    assert.equal(c.log.level, 'info');
    assert.equal(c.logFile, null);
    assert.equal(c.file, null);
    assert.equal(c.dir, dir);
    assert.equal(c.localQueuePath, path.join(dir, 'swarmage-local.sqlite'));
    assert.deepEqual(c.warnings, []);
    const [w] = c.workers.factorial;
    assert.equal(w.timeoutMs, 300_000);
    assert.equal(w.concurrency, 1);
    assert.equal(w.prefetch, undefined, 'unset: the drone sizes it from what it measures');
    assert.deepEqual(w.config, {});
    assert.equal(w.maxMemoryMb, undefined);
    assert.equal(w.batchResults, false, 'batchResults trades a guarantee: off unless asked for');
    assert.equal(c.queue.config.asyncClaimCommit, false, 'asyncClaimCommit trades a guarantee: off unless asked for');
  });

  it('normalises a single worker and an array of workers to arrays, with where labels', () => {
    const dir = workerDir();
    const c = resolveConfig(
      {
        workers: {
          one: { module: 'w.js', config: { n: 1 } },
          many: [
            { module: 'w.js', timeoutMs: 5 },
            { module: './w.js', concurrency: 3 },
          ],
        },
      },
      { dir },
    );
    assert.equal(c.workers.one.length, 1);
    assert.equal(c.workers.one[0].where, 'workers.one');
    assert.deepEqual(c.workers.one[0].config, { n: 1 });
    assert.equal(c.workers.many.length, 2);
    assert.deepEqual(
      c.workers.many.map((w) => w.where),
      ['workers.many[0]', 'workers.many[1]'],
    );
    assert.deepEqual(
      c.workers.many.map((w) => w.timeoutMs),
      [5, 300_000],
    );
    assert.deepEqual(
      c.workers.many.map((w) => w.concurrency),
      [1, 3],
    );
    for (const w of c.workers.many) assert.equal(w.modulePath, path.join(dir, 'w.js'));
  });

  it('resolves module, local queue and log paths relative to the config file directory', () => {
    const root = tmpDir('swarmage-config-');
    const sub = path.join(root, 'project');
    fs.mkdirSync(path.join(sub, 'workers'), { recursive: true });
    fs.writeFileSync(path.join(sub, 'workers', 'fact.js'), 'export default () => 1;\n');
    const file = path.join(sub, 'swarmage.config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        workers: { factorial: { module: './workers/fact.js' } },
        localQueue: { path: 'data/local.sqlite' },
        log: { file: 'logs/drone.log' },
      }),
    );
    // Relative to the file, not to the process's working directory.
    const c = loadConfigFile(path.relative(process.cwd(), file));
    assert.equal(c.file, file);
    assert.equal(c.dir, sub);
    assert.equal(c.workers.factorial[0].modulePath, path.join(sub, 'workers', 'fact.js'));
    assert.equal(c.workers.factorial[0].module, './workers/fact.js');
    assert.equal(c.localQueuePath, path.join(sub, 'data', 'local.sqlite'));
    assert.equal(c.logFile, path.join(sub, 'logs', 'drone.log'));
  });

  it('names the field path and the expected type of a wrongly typed worker field', () => {
    const e = configError({ workers: { factorial: { module: 'w.js', timeoutMs: 'soon' } } });
    assert.match(e.message, /workers\.factorial\.timeoutMs/);
    assert.match(e.message, /expected number/);
    assert.match(e.message, /received string/);
  });

  it('names the array index of a bad worker in the array form', () => {
    const e = configError({ workers: { factorial: [{ module: 'w.js' }, { module: 'w.js', prefetch: 0 }] } });
    assert.match(e.message, /workers\.factorial\[1\]\.prefetch/);
    assert.match(e.message, />=1/);
  });

  it('rejects a negative maxPerWorker, naming the field and the bound', () => {
    const e = configError({ workers: {}, maxPerWorker: -3 });
    assert.match(e.message, /^config: maxPerWorker: /);
    assert.match(e.message, />=1/);
  });

  it('rejects a schema name that is not a lower-case SQL identifier', () => {
    const e = configError({ workers: {}, queue: { config: { schema: 'Bad-Name' } } });
    assert.match(e.message, /queue\.config\.schema/);
    assert.match(e.message, /lower-case SQL identifier/);
  });

  it('caps a schema name at 57 characters, so that its "<schema>_tasks" channel fits Postgres\'s 63', () => {
    const dir = workerDir();
    const ok = resolveConfig({ workers: {}, queue: { config: { schema: 's'.repeat(57) } } }, { dir });
    assert.equal(postgresSettings(ok)?.schema, 's'.repeat(57));
    const e = configError({ workers: {}, queue: { config: { schema: 's'.repeat(58) } } }, dir);
    assert.equal(e.issues.length, 1, e.message);
    assert.match(e.message, /queue\.config\.schema: .*at most 57 characters/);
  });

  it('reports every problem, one issue per line', () => {
    const e = configError({ workers: {}, pollIntervalMs: 1, leaseMs: 'long' });
    assert.equal(e.issues.length, 2);
    assert.equal(e.message, e.issues.join('\n'));
    assert.ok(e.issues.some((l) => l.includes('pollIntervalMs')));
    assert.ok(e.issues.some((l) => l.includes('leaseMs') && l.includes('expected number')));
  });

  it('rejects a "local:" worker type with the reason', () => {
    const e = configError({ workers: { 'local:x': { module: 'w.js' } } });
    assert.match(e.message, /workers\["local:x"\]/);
    assert.match(e.message, /"local:" prefix/);
  });

  it('names workers.x.module and the absolute path of a missing worker module', () => {
    const dir = workerDir();
    const e = configError({ workers: { x: { module: 'nope/missing.js' } } }, dir);
    const abs = path.join(dir, 'nope', 'missing.js');
    assert.match(e.message, /workers\.x\.module: no such file/);
    assert.ok(e.message.includes(JSON.stringify(abs)), e.message);
    assert.ok(e.message.includes(`relative to ${dir}`), e.message);
  });

  it('turns unknown keys into warnings and drops them', () => {
    const c = resolveConfig(
      {
        workers: { f: { module: 'w.js', colour: 'blue' } },
        bogus: 1,
        log: { level: 'warn', extra: true },
      },
      { dir: workerDir() },
    );
    assert.equal(c.log.level, 'warn');
    assert.equal((c as unknown as Record<string, unknown>).bogus, undefined);
    assert.equal((c.log as Record<string, unknown>).extra, undefined);
    assert.equal((c.workers.f[0] as unknown as Record<string, unknown>).colour, undefined);
    assert.equal(c.warnings.length, 3);
    assert.ok(
      c.warnings.some((w) => w.includes('unknown key "bogus"') && w.includes('ignored')),
      c.warnings.join('\n'),
    );
    assert.ok(
      c.warnings.some((w) => w.includes('log: unknown key "extra"')),
      c.warnings.join('\n'),
    );
    assert.ok(
      c.warnings.some((w) => w.includes('workers.f: unknown key "colour"')),
      c.warnings.join('\n'),
    );
  });

  it('still fails on real errors next to unknown keys, without mentioning the unknown key', () => {
    const e = configError({ workers: {}, bogus: 1, pollIntervalMs: 'x' });
    assert.match(e.message, /pollIntervalMs: .*expected number/);
    assert.doesNotMatch(e.message, /bogus/);
  });

  it('warns when no workers are configured', () => {
    const c = resolveConfig({ workers: {} }, { dir: workerDir() });
    assert.deepEqual(c.workers, {});
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0], /no task types configured/);
  });

  it('requires workers', () => {
    const e = configError({});
    assert.match(e.message, /workers: .*expected record/);
  });

  it('reports invalid JSON with the file path, line and column', () => {
    const dir = tmpDir('swarmage-config-');
    const file = path.join(dir, 'swarmage.config.json');
    fs.writeFileSync(file, '{\n  "workers": {}\n  "pollIntervalMs": 10\n}\n');
    const e = fileError(file);
    assert.ok(e.message.startsWith(`${file}: invalid JSON`), e.message);
    assert.match(e.message, /at line 3, column 3/);
  });

  it('reports line and column for an unexpected token too', () => {
    const dir = tmpDir('swarmage-config-');
    const file = path.join(dir, 'swarmage.config.json');
    fs.writeFileSync(file, '{\n  "workers": {},\n  "pollIntervalMs": ,\n}\n');
    assert.match(fileError(file).message, /at line 3, column 21/);
  });

  it('says a missing file is not found and suggests swarmage init', () => {
    const file = path.join(tmpDir('swarmage-config-'), 'absent.json');
    const e = fileError(file);
    assert.ok(e.message.startsWith(file), e.message);
    assert.match(e.message, /not found/);
    assert.match(e.message, /swarmage init/);
  });

  it('describes the config as a JSON schema', () => {
    const schema = configJsonSchema() as { type?: string; properties?: Record<string, unknown>; required?: string[] };
    assert.equal(schema.type, 'object');
    assert.ok(schema.properties, 'has properties');
    for (const key of ['workers', 'pollIntervalMs', 'maxPerWorker', 'queue', 'localQueue']) {
      assert.ok(key in schema.properties, `properties include ${key}`);
    }
    assert.deepEqual(schema.required, ['workers']);
    assert.equal((schema.properties.pollIntervalMs as { default?: number }).default, 2000);
  });
});
