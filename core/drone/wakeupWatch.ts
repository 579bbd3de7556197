import type { WakeupView } from '../api/types.js';
import type { WakeupState, Wakeups } from '../queue/globalQueue.js';
import type { Logger } from '../log/logger.js';
import { reason } from '../util/redact.js';

/** How often a drone whose notifications do not arrive polls (or pollIntervalMs, if shorter). */
export const FALLBACK_POLL_MS = 250;

export interface WakeupWatchOptions {
  wakeups: Wakeups;
  pollIntervalMs: number;
  log: () => Logger;
  /** Where the queue's connections go (without a password): named in the warning. */
  databaseLabel: string;
  /** Tasks of this type arrived. */
  notified: (type: string) => void;
  /** Time to look for work on every type: a poll, a (re)connect. */
  poll: () => void;
  changed: () => void;
}

/**
 * How the drone learns of new tasks: notifications when they arrive, else polling — every
 * pollIntervalMs while the listener is (re)connecting, every 250 ms while it checks that they
 * arrive and once it is known that they do not (behind a pooler in transaction mode), said once in
 * the log with the fix.
 */
export class WakeupWatch {
  private timer: NodeJS.Timeout | null = null;
  private warned = false;
  private stopped = false;

  constructor(private readonly opts: WakeupWatchOptions) {}

  start(): void {
    const { wakeups, log } = this.opts;
    wakeups.on('notify', (type) => this.opts.notified(type));
    wakeups.on('connected', () => this.opts.poll());
    wakeups.on('disconnected', (err) =>
      log().warn(`lost the wake-up connection (${reason(err)}); reconnecting, polling every ${this.opts.pollIntervalMs} ms meanwhile`),
    );
    wakeups.on('state', (state) => this.entered(state));
    wakeups.start();
    this.schedule();
  }

  private entered(state: WakeupState): void {
    const { log, pollIntervalMs, wakeups } = this.opts;
    if (state === 'poll') {
      const every = `polling every ${this.pollMs()} ms instead of every ${pollIntervalMs} ms`;
      if (!this.warned) {
        this.warned = true;
        log().warn(
          wakeups.direct
            ? `wake-ups: a NOTIFY sent through ${this.opts.databaseLabel} did not arrive on the listen connection: ` +
                `is the listen connection (SWARMAGE_LISTEN_DATABASE_URL or queue.config.listenConnectionString) a direct one to the same database? ${every}`
            : `wake-ups: a NOTIFY sent through ${this.opts.databaseLabel} did not come back to this drone's LISTEN: ` +
                `a connection pooler in transaction mode does not pass notifications on. ${every}. ` +
                'Fix: give the drone a direct (or session-mode) connection for LISTEN only, in SWARMAGE_LISTEN_DATABASE_URL or queue.config.listenConnectionString ' +
                '(a drone through a gateway: give it to the gateway)',
        );
      } else log().info(`wake-ups: notifications do not arrive again; ${every}`);
    } else if (state === 'notify' && this.warned) log().info('wake-ups: notifications arrive again');
    // A shorter poll starts now, not after the long one runs out.
    this.schedule();
    this.opts.changed();
  }

  pollMs(): number {
    const every = this.opts.pollIntervalMs;
    const state = this.opts.wakeups.state;
    return state === 'poll' || state === 'checking' ? Math.min(every, FALLBACK_POLL_MS) : every;
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.opts.poll();
      this.schedule();
    }, this.pollMs());
  }

  view(): WakeupView {
    return { state: this.opts.wakeups.state, direct: this.opts.wakeups.direct, pollMs: this.pollMs() };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.opts.wakeups.stop();
  }
}
