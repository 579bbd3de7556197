/**
 * Reads lines from a worker's stdout or stderr, each at most `maxBytes` with its cut marker: readline keeps a
 * whole line in memory until its newline, so a worker printing megabyte lines (or never a newline)
 * grew the drone by as much. What is past the limit is counted and dropped as it arrives.
 */
import type { Readable } from 'node:stream';
import { CUT_MARKER_BYTES, cutMarker } from '../util/truncate.js';

export function readBoundedLines(stream: Readable, maxBytes: number, onLine: (line: string) => void): void {
  const limit = maxBytes - CUT_MARKER_BYTES;
  let parts: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  const take = (chunk: Buffer): void => {
    const room = limit - kept;
    if (chunk.length <= room) {
      if (chunk.length > 0) parts.push(chunk);
      kept += chunk.length;
    } else {
      if (room > 0) parts.push(chunk.subarray(0, room));
      kept += Math.max(room, 0);
      dropped += chunk.length - Math.max(room, 0);
    }
  };
  const emit = (): void => {
    let line = Buffer.concat(parts).toString('utf8');
    let cut = dropped;
    // The limit may split a character: drop its first bytes rather than show a replacement mark.
    if (dropped > 0 && line.endsWith('\uFFFD')) {
      line = line.slice(0, -1);
      cut = kept + dropped - Buffer.byteLength(line);
    } else if (line.endsWith('\r')) line = line.slice(0, -1);
    parts = [];
    kept = 0;
    dropped = 0;
    onLine(cut > 0 ? line + cutMarker(cut) : line);
  };
  stream.on('data', (chunk: Buffer | string) => {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
      take(data.subarray(0, nl));
      emit();
      data = data.subarray(nl + 1);
    }
    take(data);
  });
  stream.on('end', () => {
    if (kept > 0 || dropped > 0) emit();
  });
}
