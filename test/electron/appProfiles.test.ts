import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { appConfigDir, configArgs, createAppManager, openAtStart } from '../../electron/appProfiles.js';
import { swarmageHome } from '../../core/db/paths.js';
import { tmpDir } from '../helpers/tmp.js';

describe('what the desktop app opens at start', () => {
  it('config files are the arguments ending in .json; flags never are', () => {
    assert.deepEqual(configArgs(['--no-sandbox', '--x=a.json', 'mine.json', 'b.JSON', 'readme.md']), ['mine.json', 'b.JSON']);
  });

  it('the app folder is <swarmageHome()>/app', () => {
    assert.equal(appConfigDir(), path.join(swarmageHome(), 'app'));
  });

  it('a config named that does not exist is said in one line and nothing else opens; with nothing at hand, nothing is written', async () => {
    const appDir = tmpDir();
    const cwd = tmpDir();
    const lines: string[] = [];
    const m = createAppManager({ appDir });
    m.log.info = (msg: string) => void lines.push(msg);
    m.log.error = (msg: string) => void lines.push(`error: ${msg}`);
    await openAtStart(m, ['missing.json'], cwd);
    assert.ok(
      lines.some((l) => l.startsWith('error: ') && l.includes(path.join(cwd, 'missing.json')) && l.includes('no such file')),
      lines.join('\n'),
    );
    assert.equal(m.view().profiles.length, 0);

    const empty = createAppManager({ appDir: tmpDir() });
    await openAtStart(empty, [], cwd);
    assert.equal(empty.view().profiles.length, 0);
    assert.deepEqual(fs.readdirSync(cwd), [], 'no demo written unasked');
  });
});
