import type { WakeupView } from '../api/types.js';

/**
 * A drone's wake-up mode as one word, the form its heartbeat stores in the drones table
 * ("notify", "poll", "checking", "down", with "-direct" when LISTEN has a connection of its own).
 */
export function wakeupToken(view: Pick<WakeupView, 'state' | 'direct'>): string {
  return `${view.state}${view.direct ? '-direct' : ''}`;
}

/** What a wake-up token (or view) means, for people: `swarmage status`, the Overview and Fleet views. */
export function describeWakeups(token: string | null, pollMs?: number): string {
  if (!token) return 'unknown';
  const direct = token.endsWith('-direct');
  const state = direct ? token.slice(0, -'-direct'.length) : token;
  const via = direct ? ' (direct listen connection)' : '';
  switch (state) {
    case 'notify':
      return `notify${via}`;
    case 'poll':
      return `poll${pollMs ? ` every ${pollMs} ms` : ''} (notifications do not arrive${direct ? ' on the listen connection' : ': a pooler in transaction mode?'})`;
    case 'checking':
      return `checking that notifications arrive${via}`;
    case 'down':
      return `reconnecting${via}`;
    default:
      return token;
  }
}
