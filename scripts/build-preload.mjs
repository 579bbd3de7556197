#!/usr/bin/env node
/**
 * Bundles electron/preload.ts (and the few modules it imports) into ONE CommonJS script,
 * dist/electron/preload.cjs. A sandboxed preload cannot load local modules: its `require` knows only
 * 'electron' (and a few Node built-ins), so the channel map it shares with the main process has to
 * be inlined. tsc type-checks the preload with everything else; this only produces the shipped file.
 *
 * `node scripts/build-preload.mjs` (npm run build does), or `import { buildPreload }` (the preload test).
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PRELOAD_OUT = path.join(ROOT, 'dist', 'electron', 'preload.cjs');

export async function buildPreload() {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    publicDir: false,
    build: {
      outDir: path.dirname(PRELOAD_OUT),
      emptyOutDir: false, // dist/electron also holds tsc's output
      target: 'es2022',
      minify: false, // a security boundary is easier to audit when it is readable
      sourcemap: false,
      copyPublicDir: false,
      lib: {
        entry: path.join(ROOT, 'electron', 'preload.ts'),
        formats: ['cjs'],
        fileName: () => path.basename(PRELOAD_OUT),
      },
      rolldownOptions: { external: ['electron'] },
    },
  });
  return PRELOAD_OUT;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildPreload().catch((err) => {
    process.stderr.write(`build-preload: ${err?.message ?? err}\n`);
    process.exit(1);
  });
}
