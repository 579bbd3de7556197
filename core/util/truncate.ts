/**
 * Byte limits on text that comes from user code (error messages, stacks, log lines) and is kept
 * or forwarded by the drone: one failing task or one chatty worker must not be able to grow the
 * drone's memory, its logs or its database rows without bound. No imports: worker processes load it.
 */

/** A task's error message as recorded (local queue, Postgres failed row, log line). */
export const MAX_ERROR_BYTES = 8 * 1024;
/** A task's error stack as recorded. */
export const MAX_STACK_BYTES = 16 * 1024;
/** One log line's message (the in-memory ring, stderr, the log file, the UI). */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

/** Bytes kept free for the marker, so that a cut text fits its limit and cutting it again changes nothing. */
export const CUT_MARKER_BYTES = 32;

/** What replaces the end of a cut text: `… (N bytes cut)`, at most CUT_MARKER_BYTES. */
export function cutMarker(bytesCut: number): string {
  return `… (${bytesCut} bytes cut)`;
}

/**
 * `text` when its UTF-8 encoding fits in `maxBytes`, else its first bytes (whole characters) and a
 * marker saying how many bytes were cut, the whole within `maxBytes`.
 */
export function cutText(text: string, maxBytes: number): string {
  // A JS string takes at most 3 UTF-8 bytes per UTF-16 unit: short strings skip the count.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  const keep = Math.max(0, maxBytes - CUT_MARKER_BYTES);
  const buf = Buffer.from(text.length > keep ? text.slice(0, keep) : text);
  let end = Math.min(keep, buf.length);
  // Back off to the start of a character so that the cut does not leave half of one.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.toString('utf8', 0, end) + cutMarker(bytes - end);
}

/** cutText for a value that may be null. */
export function cutNullable(text: string | null, maxBytes: number): string | null {
  return text === null ? null : cutText(text, maxBytes);
}
