import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dev server injects CSS as <style> elements and an inline preamble for React refresh, both of
 * which the strict CSP in index.html forbids. Only in `vite` (serve) do we drop the meta tag; the
 * built app always carries it.
 */
function relaxCspInDev(): Plugin {
  return {
    name: 'swarmage-relax-csp-in-dev',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[\s\S]*?\/>\s*/, ''),
  };
}

// In dev, `SWARMAGE_UI_HOST=127.0.0.1:7431 SWARMAGE_UI_TOKEN=... npx vite --config renderer/vite.config.ts`
// proxies the WebSocket to a running `swarmage drone --ui`, with its token (`swarmage ui` shows it).
const devHost = process.env.SWARMAGE_UI_HOST;
const devToken = process.env.SWARMAGE_UI_TOKEN;

export default defineConfig({
  root,
  base: './',
  plugins: [react(), relaxCspInDev()],
  build: {
    outDir: '../dist/ui',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // One bundle, served from this machine (or the app's files): no point splitting it for the network.
    chunkSizeWarningLimit: 1500,
  },
  server: devHost
    ? { proxy: { '/api': { target: `ws://${devHost}`, ws: true, headers: devToken ? { Authorization: `Bearer ${devToken}` } : {} } } }
    : undefined,
});
