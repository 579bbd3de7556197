#!/usr/bin/env node
/**
 * Draws build/icon.png (512×512 RGBA), the icon electron-builder turns into .icns / .ico / Linux
 * icons: seven honeycomb cells (the swarm) on a dark rounded square. Plain Node (zlib), no image
 * library, so it runs anywhere; the PNG is committed and this only needs running to change it.
 *
 *   node scripts/make-icon.mjs
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drawPng, inHex } from './png.mjs';

const SIZE = 512;
const OUT = fileURLToPath(new URL('../build/icon.png', import.meta.url));

const BG = [0x1d, 0x23, 0x30];
const CELL = [0xf5, 0xb3, 0x3c];
const CORE = [0xff, 0xd2, 0x7a];

/** Inside a square from m to SIZE-m with corners of radius k? */
function inRoundedSquare(x, y, m, k) {
  const lo = m + k;
  const hi = SIZE - m - k;
  const qx = x < lo ? lo - x : x > hi ? x - hi : 0;
  const qy = y < lo ? lo - y : y > hi ? y - hi : 0;
  return x >= m && x <= SIZE - m && y >= m && y <= SIZE - m && qx * qx + qy * qy <= k * k;
}

const R = 64; // cell radius
const D = 118; // centre-to-centre distance of neighbouring cells (leaves a gap)
const C = SIZE / 2;
const cells = [{ x: C, y: C, color: CORE }];
for (let k = 0; k < 6; k++) {
  const a = (Math.PI / 3) * k + Math.PI / 6;
  cells.push({ x: C + D * Math.cos(a), y: C + D * Math.sin(a), color: CELL });
}

function sample(x, y) {
  for (const c of cells) if (inHex(x, y, c.x, c.y, R)) return [...c.color, 255];
  if (inRoundedSquare(x, y, 16, 96)) return [...BG, 255];
  return [0, 0, 0, 0];
}

const png = drawPng(SIZE, sample);
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, png);
process.stdout.write(`wrote ${path.relative(process.cwd(), OUT)} (${SIZE}x${SIZE}, ${png.length} bytes)\n`);
