import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { appConfigDir, chooseConfigFile, describeChoice } from '../../electron/appConfig.js';
import { loadConfigFile } from '../../core/config/load.js';
import { swarmageHome } from '../../core/db/paths.js';
import { EXAMPLES, tmpDir } from '../helpers/tmp.js';

describe('the desktop app config choice', () => {
  it('takes the first argument ending in .json, relative to the working directory (flags are not files)', () => {
    const cwd = tmpDir();
    const c = chooseConfigFile(['--no-sandbox', '--x=a.json', 'mine.json', 'other.json'], { cwd, appDir: path.join(cwd, 'app') });
    assert.deepEqual(c, { file: path.join(cwd, 'mine.json'), source: 'argument', created: [], error: null });
    assert.equal(fs.existsSync(path.join(cwd, 'app')), false, 'nothing written');
  });

  it('else ./swarmage.config.json when the working directory has one', () => {
    const cwd = tmpDir();
    fs.writeFileSync(path.join(cwd, 'swarmage.config.json'), '{}');
    const c = chooseConfigFile(['--inspect'], { cwd, appDir: path.join(cwd, 'app') });
    assert.equal(c.file, path.join(cwd, 'swarmage.config.json'));
    assert.equal(c.source, 'cwd');
  });

  it('else the per-user app config, written on first run as `swarmage init` writes it, then reused', () => {
    const cwd = tmpDir();
    const appDir = path.join(tmpDir(), 'app');
    const first = chooseConfigFile([], { cwd, appDir });
    assert.equal(first.file, path.join(appDir, 'swarmage.config.json'));
    assert.equal(first.source, 'app');
    assert.equal(first.error, null);
    assert.deepEqual(first.created.sort(), [
      'swarmage.config.json',
      'swarmage.schema.json',
      'workers/factorial.js',
      'workers/hexadecimal.js',
      'workers/package.json',
    ]);
    // Byte for byte the demo from examples/, and a valid config.
    assert.equal(fs.readFileSync(first.file, 'utf8'), fs.readFileSync(path.join(EXAMPLES, 'swarmage.config.json'), 'utf8'));
    assert.equal(fs.readFileSync(path.join(appDir, 'workers/factorial.js'), 'utf8'), fs.readFileSync(path.join(EXAMPLES, 'workers/factorial.js'), 'utf8'));
    const config = loadConfigFile(first.file);
    assert.ok(config.localQueuePath.startsWith(appDir), 'its local queue lives in the app directory');
    assert.match(describeChoice(first), /first run: wrote a demo drone to /);

    // The operator edits it; the next start keeps it.
    fs.writeFileSync(first.file, fs.readFileSync(first.file, 'utf8').replace('"pollIntervalMs": 2000', '"pollIntervalMs": 3000'));
    const second = chooseConfigFile([], { cwd, appDir });
    assert.deepEqual(second, { file: first.file, source: 'app', created: [], error: null });
    assert.match(fs.readFileSync(first.file, 'utf8'), /"pollIntervalMs": 3000/);
  });

  it('never overwrites workers left behind when the config itself is gone; says why instead', () => {
    const appDir = path.join(tmpDir(), 'app');
    fs.mkdirSync(path.join(appDir, 'workers'), { recursive: true });
    fs.writeFileSync(path.join(appDir, 'workers', 'factorial.js'), '// mine');
    const c = chooseConfigFile([], { cwd: tmpDir(), appDir });
    assert.equal(c.file, path.join(appDir, 'swarmage.config.json'));
    assert.match(c.error ?? '', /could not write the first-run config in .*workers\/factorial\.js/);
    assert.equal(fs.readFileSync(path.join(appDir, 'workers', 'factorial.js'), 'utf8'), '// mine');
  });

  it('the app directory is <swarmageHome()>/app', () => {
    assert.equal(appConfigDir(), path.join(swarmageHome(), 'app'));
  });
});
