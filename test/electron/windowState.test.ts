import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_WINDOW_STATE, parseWindowState, placeOnDisplays, serializeWindowState } from '../../electron/windowState.js';

const MIN = { width: 720, height: 480 };
const LAPTOP = { x: 0, y: 0, width: 1440, height: 870 };
const RIGHT = { x: 1440, y: -200, width: 2560, height: 1400 };

describe('the window state', () => {
  it('reads what it wrote; no file, bad JSON or a wrong shape give the defaults (close to tray on)', () => {
    const state = { bounds: { x: -5, y: 10, width: 900, height: 600 }, maximized: true, closeToTray: false };
    assert.deepEqual(parseWindowState(serializeWindowState(state)), state);
    assert.deepEqual(parseWindowState(null), DEFAULT_WINDOW_STATE);
    assert.deepEqual(parseWindowState('{nope'), DEFAULT_WINDOW_STATE);
    assert.deepEqual(parseWindowState('[]'), DEFAULT_WINDOW_STATE);
    assert.equal(DEFAULT_WINDOW_STATE.closeToTray, true);
  });

  it('keeps the fields that are right when others are wrong', () => {
    assert.deepEqual(parseWindowState(JSON.stringify({ bounds: { x: 1.5, y: 0, width: 10, height: 10 }, maximized: 'yes', closeToTray: false })), {
      bounds: null,
      maximized: false,
      closeToTray: false,
    });
    assert.deepEqual(parseWindowState(JSON.stringify({ bounds: { x: 0, y: 0, width: 0, height: 10 } })).bounds, null);
    assert.deepEqual(parseWindowState(JSON.stringify({ bounds: { x: 1e9, y: 0, width: 800, height: 600 } })).bounds, null);
  });

  it('bounds wholly on a display stay as they are, on whichever display', () => {
    assert.deepEqual(placeOnDisplays({ x: 100, y: 50, width: 1000, height: 700 }, [LAPTOP, RIGHT], MIN), { x: 100, y: 50, width: 1000, height: 700 });
    assert.deepEqual(placeOnDisplays({ x: 2000, y: -100, width: 1200, height: 800 }, [LAPTOP, RIGHT], MIN), { x: 2000, y: -100, width: 1200, height: 800 });
  });

  it('bounds on a monitor that is gone move onto the nearest display, wholly', () => {
    assert.deepEqual(placeOnDisplays({ x: 2000, y: -100, width: 1200, height: 800 }, [LAPTOP], MIN), { x: 240, y: 0, width: 1200, height: 800 });
    assert.deepEqual(placeOnDisplays({ x: -3000, y: 2000, width: 800, height: 600 }, [LAPTOP, RIGHT], MIN), { x: 0, y: 270, width: 800, height: 600 });
  });

  it('straddling two displays: onto the one it overlaps most', () => {
    assert.deepEqual(placeOnDisplays({ x: 1300, y: 100, width: 1000, height: 700 }, [LAPTOP, RIGHT], MIN), { x: 1440, y: 100, width: 1000, height: 700 });
    assert.deepEqual(placeOnDisplays({ x: 800, y: 100, width: 1000, height: 700 }, [LAPTOP, RIGHT], MIN), { x: 440, y: 100, width: 1000, height: 700 });
  });

  it('larger than the display: shrunk to its work area; smaller than the minimum: grown to it', () => {
    assert.deepEqual(placeOnDisplays({ x: 0, y: 0, width: 3000, height: 2000 }, [LAPTOP], MIN), { x: 0, y: 0, width: 1440, height: 870 });
    assert.deepEqual(placeOnDisplays({ x: 10, y: 10, width: 100, height: 100 }, [LAPTOP], MIN), { x: 10, y: 10, width: 720, height: 480 });
  });

  it('no displays known: as saved', () => {
    assert.deepEqual(placeOnDisplays({ x: 5000, y: 5000, width: 800, height: 600 }, [], MIN), { x: 5000, y: 5000, width: 800, height: 600 });
  });
});
