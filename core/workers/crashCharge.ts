/**
 * Who pays when a worker process ends with steps in its hands. Kept free of processes and timers
 * so that the rules can be tested on their own: the instance gathers the facts and acts on the
 * answer.
 */
import type { Step } from '../queue/local/types.js';
import type { Inflight, RunResult } from './runResult.js';

/** How a worker process ended, as the instance saw it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the drone killed it (a timeout, a module that would not load), or null when it died on its own. */
  killReason: string | null;
}

/** The exit in words, for the failures, the log and the instance's lastExit. */
export function describeExit(exit: ProcessExit): string {
  return exit.killReason ?? `worker process exited (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`;
}

export interface ExitContext {
  /** The instance's id, which the failures name. */
  instance: string;
  /** The exit in words (describeExit). */
  how: string;
  /** Stopped on purpose: nothing failed. */
  stopped: boolean;
  /** batchResults and no EXIT_LINE: results of steps it held may have died in the process with it. */
  resultsUnreported: boolean;
}

export interface CrashCharge {
  /** Failures of the steps that were running, to report as their results. */
  failures: RunResult[];
  /** Steps to put back at the front of the buffer, in this order. */
  giveBack: Step[];
  /** Steps that become suspects (each runs alone from now on). */
  suspect: number[];
  /** Steps that are suspects no more (their outcome is known now). */
  cleared: number[];
}

/**
 * Charges an exit to the steps an instance held, in the order it was given them. A step that was
 * running fails; one still waiting goes back to the buffer. Killed with results unreported, the
 * steps before the first suspect may have finished or crashed it, no telling which: none is
 * charged, all go back, and those become suspects, so that the one that crashes it then is known.
 * (A suspect held first ran alone: its charge is exact.)
 */
export function chargeExit(held: readonly Inflight[], exit: ExitContext, suspects: ReadonlySet<number>): CrashCharge {
  const firstSuspect = held.findIndex((f) => suspects.has(f.step.id));
  const unknown = exit.resultsUnreported && !exit.stopped && firstSuspect !== 0 ? held.slice(0, firstSuspect < 0 ? held.length : firstSuspect) : [];
  const failures: RunResult[] = [];
  const waiting: Step[] = [];
  for (const f of held) {
    if (f.startedAt !== null && unknown.length === 0) {
      failures.push({
        step: f.step,
        startedAt: f.startedAt,
        result: { s: f.step.id, ok: false, error: `${exit.instance}: ${exit.how} while running this task`, stack: null },
      });
    } else waiting.push(f.step);
  }
  const suspect = unknown.map((f) => f.step.id);
  const cleared = failures.map((r) => r.step.id);
  // Stopped on purpose: whatever it still held goes back, running steps first.
  if (exit.stopped) return { failures: [], giveBack: [...failures.map((r) => r.step), ...waiting], suspect, cleared };
  return { failures, giveBack: waiting, suspect, cleared };
}

/**
 * How long a crashed instance waits before it starts again. A crash charged to a running task
 * fails that task's attempt (it waits out its own retry backoff), so a poison task must not keep
 * the instance away from the other tasks for long: at most 1 s. Crashes with nothing running (a
 * module that cannot start) back off to 10 s.
 */
export function respawnDelayMs(crashesInARow: number, charge: CrashCharge): number {
  const cap = charge.failures.length > 0 || charge.suspect.length > 0 ? 1000 : 10_000;
  return Math.min(cap, 100 * 2 ** Math.min(crashesInARow - 1, 10));
}
