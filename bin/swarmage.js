#!/usr/bin/env node
// Thin launcher: the CLI lives in core/cli (compiled to dist/ by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/core/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(`swarmage: not built yet: run "npm install" (or "npm run build") in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
