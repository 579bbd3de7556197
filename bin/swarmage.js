#!/usr/bin/env node
// Thin launcher: the CLI lives in core/cli (compiled to dist/ by `npm install` / `npm run build`).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeSupported } from './node-check.js';

// An older Node fails somewhere deep inside (a missing API, a native module built for another
// ABI): say so in one line first.
const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (!nodeSupported(engines.node, process.versions.node)) {
  process.stderr.write(
    `swarmage: needs Node ${engines.node} (package.json "engines"); this is Node ${process.versions.node}. Install Node 24 LTS: https://nodejs.org\n`,
  );
  process.exit(1);
}

const entry = new URL('../dist/core/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(`swarmage: not built yet: run "npm install" (or "npm run build") in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
