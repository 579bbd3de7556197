/**
 * docs/api is generated from the package's exports (`npm run docs:api`, TypeDoc): it must say what
 * the code says. Regenerated here into a scratch folder and compared file by file.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const full = path.join(dir, f);
    if (fs.statSync(full).isFile()) out.set(f, fs.readFileSync(full, 'utf8'));
  }
  return out;
}

describe('the API reference (docs/api)', () => {
  it('is what TypeDoc makes of the exports now, without a warning (npm run docs:api regenerates it)', () => {
    const out = path.join(tmpDir(), 'api');
    const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const want = files(out);
    const have = files(path.join(ROOT, 'docs/api'));
    assert.deepEqual([...have.keys()].sort(), [...want.keys()].sort(), 'run npm run docs:api');
    for (const [f, text] of want) assert.equal(have.get(f), text, `docs/api/${f} is out of date: run npm run docs:api`);
  });
});
