import type { TaskProgress } from './types.js';

/** What a send-and-wait is waiting on, when it is not simply an answer on its way. */
export interface WaitStatus {
  kind: 'unserved' | 'retrying' | 'scheduled' | 'running' | 'queued';
  message: string;
}

const at = (ms: number) => new Date(ms).toISOString();

/**
 * Says why answers have not come yet, most telling reason first: no live drone serves the type
 * (they will pile up until one does), a task waits to be retried or was scheduled for later, or it
 * runs, or it waits behind others. Failed tasks are not described: the caller reports them at once.
 */
export function describeWait(p: TaskProgress, type: string): WaitStatus {
  const open = p.tasks.filter((t) => t.state !== 'failed');
  const later = open.filter((t) => t.state === 'available' && t.runAt > p.now);
  const retry = later.filter((t) => t.attempts > 0).sort((a, b) => a.runAt - b.runAt)[0];
  if (p.served === 0) {
    return { kind: 'unserved', message: `no live drone serves "${type}"` };
  }
  if (retry) {
    const first = retry.error?.split('\n')[0] ?? 'failed';
    return {
      kind: 'retrying',
      message: `task ${retry.id}: attempt ${retry.attempts} of ${retry.maxAttempts} failed (${first}); the next attempt at ${at(retry.runAt)}`,
    };
  }
  if (later.length > 0) {
    const first = later.sort((a, b) => a.runAt - b.runAt)[0];
    return { kind: 'scheduled', message: `task ${first.id} is scheduled for ${at(first.runAt)}` };
  }
  const running = open.filter((t) => t.state === 'claimed').length;
  if (running > 0) return { kind: 'running', message: `${running} task(s) running on a drone` };
  return { kind: 'queued', message: `queued: ${p.served} live drone(s) serve "${type}" and have not claimed the task(s) yet` };
}
