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
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const SIZE = 512;
const SS = 4; // supersampling per axis: smooth edges without a rasteriser
const OUT = fileURLToPath(new URL('../build/icon.png', import.meta.url));

const BG = [0x1d, 0x23, 0x30];
const CELL = [0xf5, 0xb3, 0x3c];
const CORE = [0xff, 0xd2, 0x7a];

/** Inside a flat-topped regular hexagon of circumradius r centred on (cx, cy)? */
function inHex(x, y, cx, cy, r) {
  const dx = Math.abs(x - cx);
  const dy = Math.abs(y - cy);
  const h = (r * Math.sqrt(3)) / 2;
  return dy <= h && Math.sqrt(3) * dx + dy <= Math.sqrt(3) * r;
}

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

// Rows of filter byte 0 + RGBA, premultiplied while averaging so transparent edges do not darken.
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  const row = py * (SIZE * 4 + 1);
  raw[row] = 0;
  for (let px = 0; px < SIZE; px++) {
    let r = 0,
      g = 0,
      b = 0,
      a = 0;
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const s = sample(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS);
        r += s[0] * s[3];
        g += s[1] * s[3];
        b += s[2] * s[3];
        a += s[3];
      }
    }
    const o = row + 1 + px * 4;
    raw[o] = a ? Math.round(r / a) : 0;
    raw[o + 1] = a ? Math.round(g / a) : 0;
    raw[o + 2] = a ? Math.round(b / a) : 0;
    raw[o + 3] = Math.round(a / (SS * SS));
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, png);
process.stdout.write(`wrote ${path.relative(process.cwd(), OUT)} (${SIZE}x${SIZE}, ${png.length} bytes)\n`);
