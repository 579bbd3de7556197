import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import semver from 'semver';
// @ts-expect-error plain JavaScript without types: it runs before anything else, on any Node.
import { nodeSupported } from '../../../bin/node-check.js';

interface Manifest {
  name: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
}

const ROOT = path.resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);
const manifest = (file: string): Manifest => JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
const ours = manifest(path.join(ROOT, 'package.json'));
const engines = ours.engines?.node ?? '';

/**
 * `engines` is what we say runs; CI runs the tests on the Node LTS pinned in .nvmrc and on the
 * machine's own (.ci/run): each must be inside it, and no dependency a user installs may ask for
 * less of it (npm would print EBADENGINE on a Node we call supported).
 */
describe('the Node versions we support, test and depend on agree', () => {
  it('package.json names a valid range of Node versions', () => {
    assert.ok(semver.validRange(engines), `engines.node ${JSON.stringify(engines)} is not a semver range`);
  });

  it('is written as ^A.B.C alternatives, which bin/swarmage.js checks without semver (agreeing with it)', () => {
    for (const range of engines.split('||')) assert.match(range.trim(), /^\^\d+\.\d+\.\d+$/, `engines.node ${engines}`);
    const versions = [
      '16.20.2',
      '18.20.4',
      '20.0.0',
      '20.18.9',
      '20.19.0',
      '20.20.2',
      '21.7.3',
      '22.11.0',
      '22.12.0',
      '23.1.0',
      '24.0.0',
      '24.22.3',
      '25.0.0',
      '26.1.0',
    ];
    for (const v of versions) assert.equal(nodeSupported(engines, v), semver.satisfies(v, engines), `Node ${v} against ${engines}`);
    assert.equal(nodeSupported(engines, process.version), true);
  });

  it('an older Node gets one line that names what is needed, not a stack trace', () => {
    // The process takes itself for Node 18 before the launcher runs.
    const pretend = `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '18.20.4' } });`;
    const out = spawnSync(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(pretend)}`, path.join(ROOT, 'bin/swarmage.js'), '--version'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(out.status, 1);
    assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
    assert.match(out.stderr, /needs Node \^20\.19\.0 .*this is Node 18\.20\.4/);
  });

  it('the Node LTS that CI fetches (.nvmrc) is inside engines.node', () => {
    const pinned = fs.readFileSync(path.join(ROOT, '.nvmrc'), 'utf8').trim();
    assert.ok(semver.valid(pinned), `.nvmrc holds ${JSON.stringify(pinned)}, not an exact version (.ci/run fetches exactly it)`);
    assert.ok(semver.satisfies(pinned, engines), `.nvmrc pins Node ${pinned}, outside engines.node ${engines}`);
  });

  it('the Node running these tests is inside engines.node', () => {
    assert.ok(semver.satisfies(process.version, engines), `running on Node ${process.version}, outside engines.node ${engines}`);
  });

  it('every dependency a user installs runs on every Node that engines.node admits', () => {
    const narrower: string[] = [];
    for (const name of Object.keys(ours.dependencies ?? {})) {
      const theirs = manifest(require.resolve(`${name}/package.json`, { paths: [ROOT] })).engines?.node;
      if (theirs && !semver.subset(engines, theirs)) narrower.push(`${name} wants ${theirs}`);
    }
    assert.deepEqual(narrower, [], `engines.node is ${engines}`);
  });
});
