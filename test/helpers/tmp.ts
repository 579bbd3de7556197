import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tmpDir(prefix = 'swarmage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The repository's test/fixtures folder (tests run from dist/test). */
export const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures');
export const EXAMPLES = path.resolve(import.meta.dirname, '../../../examples');
export const BIN = path.resolve(import.meta.dirname, '../../../bin/swarmage.js');

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until check() returns a truthy value; fails with `what` after the timeout (a bound, not a timing assertion). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}
