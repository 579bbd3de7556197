/**
 * The window's remembered state (size, position, maximized, and whether closing it keeps the drones
 * running in the tray), as pure functions: reading the saved file's text, and placing saved bounds
 * on the displays there are now, so that a window saved on a monitor that is gone still opens where
 * it can be seen. Unit-tested (test/electron/windowState.test.ts); windowKeeper.ts does the I/O.
 */
import { z } from 'zod';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** The normal (not maximized) bounds; null: never saved, the window opens at its default size, centred. */
  bounds: Rect | null;
  maximized: boolean;
  /** Closing the window hides it and the drones keep running (the tray stays); off: closing quits. */
  closeToTray: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = Object.freeze({ bounds: null, maximized: false, closeToTray: true });

const coordinate = z.number().int().min(-100_000).max(100_000);
const length = z.number().int().min(1).max(100_000);
const rect = z.object({ x: coordinate, y: coordinate, width: length, height: length });
const saved = z.object({
  bounds: rect.nullable().catch(null),
  maximized: z.boolean().catch(false),
  closeToTray: z.boolean().catch(true),
});

/** The file's text, or null when there is none; whatever is wrong in it falls back to the default, field by field. */
export function parseWindowState(text: string | null): WindowState {
  if (text === null) return { ...DEFAULT_WINDOW_STATE };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
  const parsed = saved.safeParse(json);
  return parsed.success ? { ...parsed.data } : { ...DEFAULT_WINDOW_STATE };
}

export function serializeWindowState(state: WindowState): string {
  return `${JSON.stringify({ bounds: state.bounds, maximized: state.maximized, closeToTray: state.closeToTray }, null, 2)}\n`;
}

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function distance(a: Rect, b: Rect): number {
  return Math.hypot(a.x + a.width / 2 - (b.x + b.width / 2), a.y + a.height / 2 - (b.y + b.height / 2));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(v, hi));
}

/**
 * Saved bounds placed on the display they overlap most (the nearest one when they overlap none),
 * shrunk to fit its work area (never below `min`, the window's minimum size, unless the display is
 * smaller still) and moved until wholly on it. No displays known: the bounds as saved.
 */
export function placeOnDisplays(bounds: Rect, workAreas: readonly Rect[], min: { width: number; height: number }): Rect {
  if (workAreas.length === 0) return { ...bounds };
  const best = [...workAreas].sort((a, b) => overlap(bounds, b) - overlap(bounds, a) || distance(bounds, a) - distance(bounds, b))[0];
  const width = Math.min(Math.max(bounds.width, min.width), best.width);
  const height = Math.min(Math.max(bounds.height, min.height), best.height);
  return {
    x: clamp(bounds.x, best.x, best.x + best.width - width),
    y: clamp(bounds.y, best.y, best.y + best.height - height),
    width,
    height,
  };
}
