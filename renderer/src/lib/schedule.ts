/** When the Enqueue view's tasks may run: now, after a delay, or at a time (the form's fields, read). */
import { MAX_DELAY_MS } from '../../../core/api/contract.js';

export type DelayUnit = 's' | 'm' | 'h';
export interface ScheduleFields {
  mode: 'now' | 'delay' | 'at';
  /** A number of `unit`s. */
  delay: string;
  unit: DelayUnit;
  /** A datetime-local input's value (local time), e.g. "2026-03-01T14:30". */
  at: string;
}

export const UNIT_MS: Record<DelayUnit, number> = { s: 1000, m: 60_000, h: 3_600_000 };

export type Schedule = { ok: true; delayMs?: number; runAt?: number; past?: boolean } | { ok: false; message: string };

export function readSchedule(f: ScheduleFields, now: number): Schedule {
  if (f.mode === 'delay') {
    const n = Number(f.delay);
    const ms = Math.round(n * UNIT_MS[f.unit]);
    if (f.delay.trim() === '' || !Number.isFinite(n) || n < 0 || ms > MAX_DELAY_MS) {
      return { ok: false, message: `Delay: a number of ${{ s: 'seconds', m: 'minutes', h: 'hours' }[f.unit]} from 0 to 366 days` };
    }
    return { ok: true, delayMs: ms };
  }
  if (f.mode === 'at') {
    const t = f.at.trim() === '' ? NaN : new Date(f.at).getTime();
    if (!Number.isFinite(t)) return { ok: false, message: 'Run at: choose a date and time' };
    if (t > now + MAX_DELAY_MS) return { ok: false, message: 'Run at: at most 366 days ahead' };
    return t <= now ? { ok: true, past: true } : { ok: true, runAt: t };
  }
  return { ok: true };
}
