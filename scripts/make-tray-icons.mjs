#!/usr/bin/env node
/**
 * Draws the tray (menu-bar) icons, one per state the tray shows (electron/trayState.ts): a honeycomb
 * cell in the state's colour, hollow when stopped. 16 px and @2x (32 px, which Electron picks on
 * high-DPI screens by the file name). Written to resources/tray/, which electron-builder.yml ships
 * inside the app; committed, so this only needs running to change them.
 *
 *   node scripts/make-tray-icons.mjs
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawPng, inHex } from './png.mjs';

const OUT = fileURLToPath(new URL('../resources/tray/', import.meta.url));

const STATES = {
  running: { color: [0x2e, 0xb8, 0x5c], hollow: false },
  paused: { color: [0xf5, 0xb3, 0x3c], hollow: false },
  failing: { color: [0xe5, 0x48, 0x4d], hollow: false },
  stopped: { color: [0x8a, 0x90, 0x9c], hollow: true },
};

fs.mkdirSync(OUT, { recursive: true });
for (const [state, { color, hollow }] of Object.entries(STATES)) {
  for (const [suffix, size] of [
    ['', 16],
    ['@2x', 32],
  ]) {
    const c = size / 2;
    const r = size * 0.47;
    const sample = (x, y) => {
      const inside = inHex(x, y, c, c, r);
      if (!inside || (hollow && inHex(x, y, c, c, r * 0.62))) return [0, 0, 0, 0];
      return [...color, 255];
    };
    const file = path.join(OUT, `${state}${suffix}.png`);
    fs.writeFileSync(file, drawPng(size, sample));
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}
