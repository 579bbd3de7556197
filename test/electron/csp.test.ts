/**
 * The renderer's Content-Security-Policy, as the window loads it (a meta tag: file:// has no headers).
 * The renderer is another engineer's; this pins what the desktop app relies on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CANDIDATES = [path.join(ROOT, 'renderer', 'index.html'), path.join(ROOT, 'dist', 'ui', 'index.html')];
const FILES = CANDIDATES.filter((f) => fs.existsSync(f));
const MISSING = 'neither renderer/index.html nor dist/ui/index.html exists yet (the renderer is being written)';

/** The CSP meta tags' content: attribute order and quoting as an HTML author may write them. */
function cspMetas(html: string): string[] {
  const out: string[] = [];
  for (const tag of html.match(/<meta\b[^>]*>/gi) ?? []) {
    const attr = (name: string) => new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
    const equiv = attr('http-equiv');
    if (!equiv || (equiv[2] ?? equiv[3]).toLowerCase() !== 'content-security-policy') continue;
    const content = attr('content');
    if (content) out.push((content[2] ?? content[3]).replace(/&#39;|&apos;/g, "'").replace(/&quot;/g, '"'));
  }
  return out;
}

function directives(policy: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name && !map.has(name.toLowerCase()))
      map.set(
        name.toLowerCase(),
        sources.map((s) => s.toLowerCase()),
      );
  }
  return map;
}

describe('the renderer CSP', () => {
  if (FILES.length === 0) {
    it('is checked once the renderer exists', { skip: MISSING }, () => {});
    return;
  }
  for (const file of FILES) {
    const rel = path.relative(ROOT, file);
    const html = fs.readFileSync(file, 'utf8');

    it(`${rel}: has exactly one CSP meta, in <head>, before any script`, () => {
      const metas = cspMetas(html);
      assert.equal(metas.length, 1, 'one Content-Security-Policy meta tag');
      const metaAt = html.search(/<meta\b[^>]*content-security-policy/i);
      const headEnd = html.search(/<\/head>/i);
      const firstScript = html.search(/<script\b/i);
      assert.ok(metaAt >= 0 && (headEnd < 0 || metaAt < headEnd), 'in <head>');
      assert.ok(firstScript < 0 || metaAt < firstScript, 'before the first script, or it does not apply to it');
    });

    it(`${rel}: script-src allows no 'unsafe-inline', no 'unsafe-eval' and no remote origins`, () => {
      const d = directives(cspMetas(html)[0] ?? '');
      // Without script-src, default-src governs scripts.
      const scriptSrc = d.get('script-src') ?? d.get('default-src');
      assert.ok(scriptSrc, 'script-src or default-src is set');
      for (const bad of ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", '*', 'http:', 'https:', 'data:', 'blob:']) {
        assert.ok(!scriptSrc.includes(bad), `script-src must not allow ${bad}: ${scriptSrc.join(' ')}`);
      }
      assert.ok(!scriptSrc.some((s) => /^(https?:)?\/\//.test(s)), `no remote script origins: ${scriptSrc.join(' ')}`);
      assert.deepEqual(d.get('object-src'), ["'none'"], "object-src 'none'");
    });

    it(`${rel}: style-src allows no 'unsafe-inline' (the JSON editor styles itself through a constructed stylesheet)`, () => {
      const d = directives(cspMetas(html)[0] ?? '');
      const styleSrc = d.get('style-src') ?? d.get('default-src') ?? [];
      assert.ok(!styleSrc.includes("'unsafe-inline'"), `style-src: ${styleSrc.join(' ')}`);
    });

    it(`${rel}: has no inline script the CSP would block`, () => {
      for (const tag of html.match(/<script\b[^>]*>[\s\S]*?<\/script>/gi) ?? []) {
        const open = tag.slice(0, tag.indexOf('>') + 1);
        const body = tag.slice(open.length, -'</script>'.length).trim();
        assert.ok(/\bsrc\s*=/.test(open) && body === '', `inline script: ${tag.slice(0, 120)}`);
      }
    });
  }
});
