import type { LogLine } from '../../../core/api/contract.js';
import type { Client } from '../lib/apiClient.js';
import { LOG_CAPACITY } from '../lib/logBuffer.js';
import type { AppStore } from './appStore.js';

/**
 * Feeds the store from the drone: pushed snapshots and log batches, and on every (re)connect a
 * fresh snapshot and the recent log lines. Live log batches that arrive while the recent lines are
 * being fetched are held back and appended after them, so the buffer stays in order.
 */
export function startSync(store: AppStore, client: Client, onError: (what: string, err: unknown) => void = () => {}): () => void {
  let held: LogLine[][] | null = null;
  let generation = 0;

  const refill = async () => {
    const gen = ++generation;
    held = [];
    try {
      const [snapshot, recent] = await Promise.all([
        client.call('drone.snapshot', {}),
        // As much as the host keeps (it caps the limit); repeats after a reconnect are dropped by seq.
        client.call('logs.recent', { limit: LOG_CAPACITY }).catch((err: unknown) => {
          onError('logs.recent', err);
          return [] as LogLine[];
        }),
      ]);
      if (gen !== generation) return;
      store.getState().applySnapshot(snapshot);
      store.getState().appendLogs(recent);
    } catch (err) {
      onError('drone.snapshot', err);
    } finally {
      if (gen === generation) {
        const batches = held ?? [];
        held = null;
        for (const b of batches) store.getState().appendLogs(b);
      }
    }
  };

  const offs = [
    client.on('snapshot', (s) => store.getState().applySnapshot(s)),
    client.on('logs', (lines) => {
      if (held) held.push(lines);
      else store.getState().appendLogs(lines);
    }),
    client.onConnection((state) => {
      store.getState().setConnection(state);
      if (state.status === 'open') void refill();
    }),
  ];

  const initial = client.connection();
  store.getState().setConnection(initial);
  if (initial.status === 'open') void refill();

  return () => {
    generation++;
    for (const off of offs) off();
  };
}
