/**
 * The lint rule that keeps the drone and the app on the GlobalQueue interface (issue 21), tried on
 * code that breaks it and code that does not, through ESLint itself with the project's config.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: ROOT });

async function importErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint: the drone and the app know no queue module', () => {
  it('refuses the Postgres or remote module, or pg, in core/drone, core/service and core/app', async () => {
    const cases: Array<[string, string]> = [
      ['core/drone/x.ts', "import { PgQueue } from '../queue/pg/pgQueue.js';\nexport const q = PgQueue;\n"],
      ['core/service/x.ts', "import { RemoteQueue } from '../queue/remote/remoteQueue.js';\nexport const q = RemoteQueue;\n"],
      ['core/app/x.ts', "import pg from 'pg';\nexport const p = pg;\n"],
    ];
    for (const [file, code] of cases) {
      const errors = await importErrors(file, code);
      assert.equal(errors.length, 1, `${file}: ${errors.join('; ')}`);
      assert.match(errors[0], /GlobalQueue/);
    }
  });

  it('lets them use the interface, and lets modules.ts and the CLI open the modules', async () => {
    assert.deepEqual(await importErrors('core/drone/x.ts', "import type { GlobalQueue } from '../queue/globalQueue.js';\nexport type Q = GlobalQueue;\n"), []);
    assert.deepEqual(
      await importErrors('core/queue/modules.ts', "import { openPostgresQueue } from './pg/module.js';\nexport const o = openPostgresQueue;\n"),
      [],
    );
    assert.deepEqual(await importErrors('core/cli/commands/x.ts', "import { PgQueue } from '../../queue/pg/pgQueue.js';\nexport const q = PgQueue;\n"), []);
  });
});
