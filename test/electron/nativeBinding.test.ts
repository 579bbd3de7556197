import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { nativeBindingPath } from '../../core/queue/local/nativeBinding.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const REL = (abi: string) => path.join('build', 'native', `electron-${abi}`, 'better_sqlite3.node');

function place(dir: string, abi: string): string {
  const file = path.join(dir, REL(abi));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '');
  return file;
}

describe('nativeBindingPath (better-sqlite3 for Electron)', () => {
  it('is undefined outside Electron, even when an Electron build exists', () => {
    const root = tmpDir();
    place(root, '150');
    assert.equal(nativeBindingPath({ modules: '150', packageRoot: root }), undefined);
    assert.equal(nativeBindingPath(), undefined, 'this Node process');
  });

  it('inside Electron: build/native/electron-<ABI> of the package, for that ABI only', () => {
    const root = tmpDir();
    const file = place(root, '150');
    assert.equal(nativeBindingPath({ electron: '45.5.0', modules: '150', packageRoot: root }), file);
    assert.equal(nativeBindingPath({ electron: '46.0.0', modules: '151', packageRoot: root }), undefined, 'another ABI: no guessing');
  });

  it('packaged: prefers resources/app.asar.unpacked, then resources/, then the package root', () => {
    const resources = tmpDir();
    const root = path.join(resources, 'app.asar');
    const inRoot = place(root, '150');
    const env = { electron: '45.5.0', modules: '150', packageRoot: root, resourcesPath: resources };
    assert.equal(nativeBindingPath(env), inRoot);
    const inResources = place(resources, '150');
    assert.equal(nativeBindingPath(env), inResources);
    const unpacked = place(path.join(resources, 'app.asar.unpacked'), '150');
    assert.equal(nativeBindingPath(env), unpacked);
  });

  it('the path it gives is what better-sqlite3 loads through its nativeBinding option', () => {
    // The Node build stands in for the Electron one (same file name, same loading code path).
    const nodeBuild = path.join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    const root = tmpDir();
    const file = path.join(root, REL(process.versions.modules));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(nodeBuild, file);
    const nativeBinding = nativeBindingPath({ electron: 'test', modules: process.versions.modules, packageRoot: root });
    assert.equal(nativeBinding, file);
    const db = new Database(':memory:', { timeout: 2000, nativeBinding });
    assert.deepEqual(db.prepare('SELECT 1 AS one').get(), { one: 1 });
    db.close();
  });
});
