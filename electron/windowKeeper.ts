/**
 * The app's one window over the app's life: created with its remembered bounds (placed on a display
 * there is now), its state written to a small JSON file as it moves (debounced) and when it closes,
 * hidden instead of closed while "close to tray" is on (the drones keep running), shown again (or
 * created again) on demand. The window factory, the displays and the quitting flag are parameters:
 * main.ts passes Electron's, the fake-electron tests record what happened.
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../core/util/privateFiles.js';
import { parseWindowState, placeOnDisplays, serializeWindowState, type Rect, type WindowState } from './windowState.js';
import { WINDOW_OPTIONS } from './window.js';

interface Preventable {
  preventDefault(): void;
}

/** What the keeper needs of a BrowserWindow. */
export interface KeptWindow {
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  maximize(): void;
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  hide(): void;
  focus(): void;
  isDestroyed(): boolean;
  on(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'closed', listener: () => void): unknown;
  on(event: 'close', listener: (event: Preventable) => void): unknown;
  once(event: 'ready-to-show', listener: () => void): unknown;
}

export interface WindowKeeperOptions<W extends KeptWindow> {
  /** <app folder>/window.json */
  file: string;
  /** Creates and loads the window, at `bounds` (null: the default size, centred). */
  create(bounds: Rect | null): W;
  /** The displays' work areas now (Electron's screen, only usable once the app is ready). */
  workAreas(): Rect[];
  /** True once the app is quitting: the window then really closes. */
  quitting(): boolean;
  onError(message: string): void;
  debounceMs?: number;
}

const MIN_SIZE = { width: WINDOW_OPTIONS.minWidth ?? 1, height: WINDOW_OPTIONS.minHeight ?? 1 };

export class WindowKeeper<W extends KeptWindow> {
  private state: WindowState;
  private win: W | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: WindowKeeperOptions<W>) {
    this.state = parseWindowState(this.read());
  }

  get closeToTray(): boolean {
    return this.state.closeToTray;
  }

  setCloseToTray(on: boolean): void {
    this.state = { ...this.state, closeToTray: on };
    this.save();
  }

  current(): W | null {
    return this.win && !this.win.isDestroyed() ? this.win : null;
  }

  /** Shows the window (from the tray, the dock, a notification, a second launch), creating it when there is none. */
  show(): W {
    const existing = this.current();
    if (existing) {
      if (existing.isMinimized()) existing.restore();
      existing.show();
      existing.focus();
      return existing;
    }
    return this.open();
  }

  /** Creates the window where it was; called once at start, and by show() when the window is gone. */
  open(): W {
    const saved = this.state.bounds;
    const win = this.opts.create(saved ? placeOnDisplays(saved, this.opts.workAreas(), MIN_SIZE) : null);
    this.win = win;
    if (this.state.maximized) win.once('ready-to-show', () => win.maximize());
    const later = () => this.saveSoon();
    for (const e of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(e, later);
    win.on('close', (event) => {
      this.capture(win);
      this.save();
      if (this.state.closeToTray && !this.opts.quitting()) {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => {
      if (this.win === win) this.win = null;
    });
    return win;
  }

  private capture(win: W): void {
    if (win.isDestroyed()) return;
    // The normal bounds even when maximized or minimized: what the window returns to when un-maximized.
    this.state = { ...this.state, bounds: win.getNormalBounds(), maximized: win.isMaximized() };
  }

  private saveSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const win = this.current();
      if (win) this.capture(win);
      this.save();
    }, this.opts.debounceMs ?? 500);
    this.timer.unref();
  }

  private read(): string | null {
    try {
      return fs.readFileSync(this.opts.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.onError(`cannot read ${this.opts.file}: ${(err as Error).message}`);
      return null;
    }
  }

  private save(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      writeFileAtomic(this.opts.file, serializeWindowState(this.state));
    } catch (err) {
      this.opts.onError(`cannot save the window's state to ${this.opts.file}: ${(err as Error).message}`);
    }
  }
}
