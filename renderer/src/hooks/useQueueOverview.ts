import type { QueueOverview } from '../../../core/api/contract.js';
import { call } from '../api/droneApi.js';
import { useNow } from './useNow.js';
import { usePoll, type Polled } from './usePoll.js';

export const OVERVIEW_REFRESH_MS = 2000;

export interface QueueOverviewView extends Polled<QueueOverview> {
  /**
   * The overview's clock, ticking: heartbeats and leases are times of the database's clock, which
   * need not agree with the browser's, so ages and countdowns are taken on the overview's.
   */
  now: number;
}

/** The whole queue and the fleet, re-read every 2 s while a view that shows them is on screen. */
export function useQueueOverview(): QueueOverviewView {
  const polled = usePoll('queue.overview', async () => ({ ...(await call('queue.overview', {})), receivedAt: Date.now() }), OVERVIEW_REFRESH_MS);
  const tick = useNow(1000);
  const data = polled.data;
  const now = data ? data.now + Math.max(0, tick - data.receivedAt) : tick;
  return { ...polled, now };
}
