import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_INDEX_URL, resolveAppFile, serveAppProtocol, type ProtocolLike } from '../../electron/appProtocol.js';
import { tmpDir } from '../helpers/tmp.js';

/** A built renderer in a temp dir, with a secret next to it that the scheme must never serve. */
function renderer(): { root: string; secret: string } {
  const parent = tmpDir();
  const root = path.join(parent, 'ui');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Swarmage</title>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  const secret = path.join(parent, 'secret.txt');
  fs.writeFileSync(secret, 'password');
  return { root, secret };
}

describe('the app scheme, swarmage://app/ (electron/appProtocol.ts)', () => {
  it('resolves our host to files inside the renderer folder only', () => {
    const { root } = renderer();
    assert.equal(resolveAppFile(APP_INDEX_URL, root), path.join(root, 'index.html'));
    assert.equal(resolveAppFile('swarmage://app/', root), path.join(root, 'index.html'));
    assert.equal(resolveAppFile('swarmage://app/assets/app.js', root), path.join(root, 'assets', 'app.js'));
    assert.equal(resolveAppFile('swarmage://app/index.html#/logs', root), path.join(root, 'index.html'));
    for (const url of [
      'swarmage://app/../secret.txt',
      'swarmage://app/..%2fsecret.txt',
      'swarmage://app/%2e%2e/secret.txt',
      'swarmage://app/assets/..%2f..%2fsecret.txt',
    ]) {
      const file = resolveAppFile(url, root);
      assert.ok(file === null || file.startsWith(root + path.sep), `${url} → ${file}`);
    }
    for (const url of [
      'swarmage://evil/index.html',
      'swarmage://app:99/index.html',
      'swarmage://u:p@app/index.html',
      'file:///etc/passwd',
      'https://app/index.html',
      'swarmage://app/%E0%A4%A',
      'swarmage://app/a%00b',
      'swarmage://app/..%5csecret.txt',
      '',
      42,
      `swarmage://app/${'a'.repeat(5000)}`,
    ]) {
      assert.equal(resolveAppFile(url, root), null, String(url));
    }
  });

  it('serves the renderer with the security headers, 404 outside it, GET/HEAD only', async () => {
    const { root } = renderer();
    type Handler = Parameters<ProtocolLike['handle']>[1];
    const handlers: Handler[] = [];
    const read: string[] = [];
    serveAppProtocol(
      {
        handle: (scheme, h) => {
          assert.equal(scheme, 'swarmage');
          handlers.push(h);
        },
      },
      {
        fetch: async (url) => {
          const f = fileURLToPath(url);
          read.push(f);
          return new Response(fs.readFileSync(f), { headers: { 'Content-Type': 'text/html' } });
        },
      },
      root,
    );
    assert.equal(handlers.length, 1);
    const serve = handlers[0];
    const index = await serve({ url: APP_INDEX_URL, method: 'GET' });
    assert.equal(index.status, 200);
    assert.match(await index.text(), /<title>Swarmage<\/title>/);
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');

    assert.equal((await serve({ url: 'swarmage://app/missing.js', method: 'GET' })).status, 404);
    assert.equal((await serve({ url: 'swarmage://evil/index.html', method: 'GET' })).status, 404);
    assert.equal((await serve({ url: 'swarmage://app/../secret.txt', method: 'GET' })).status, 404);
    assert.equal((await serve({ url: APP_INDEX_URL, method: 'POST' })).status, 405);
    assert.ok(
      read.every((f) => f.startsWith(root + path.sep)),
      `read outside the renderer: ${read.join(', ')}`,
    );
  });
});
