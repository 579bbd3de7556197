import type { LogLine, ProfilesView } from '../../../core/api/contract.js';
import type { Client } from '../lib/apiClient.js';
import { LOG_CAPACITY } from '../lib/logBuffer.js';
import type { AppStore } from './appStore.js';
import { pickProfile } from './profileSlice.js';

/** Remembers which drone was shown, across reloads (the host keeps no per-window state). */
export interface SelectionMemory {
  load(): string | null;
  save(id: string | null): void;
}

const NO_MEMORY: SelectionMemory = { load: () => null, save: () => {} };

/**
 * Feeds the store from the host: the profile list, and the shown drone's pushed snapshots and log
 * batches. On every (re)connect, and whenever another drone is selected, it fetches a fresh snapshot
 * and the recent log lines of that drone. Live log batches that arrive while the recent lines are
 * being fetched are held back and appended after them, so the buffer stays in order.
 */
export function startSync(
  store: AppStore,
  client: Client,
  onError: (what: string, err: unknown) => void = () => {},
  memory: SelectionMemory = NO_MEMORY,
): () => void {
  let held: LogLine[][] | null = null;
  let generation = 0;

  const refillDrone = async () => {
    const gen = ++generation;
    held = [];
    try {
      if (client.profile() === null && store.getState().profiles?.profiles.length === 0) return;
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

  /** Takes a new profile list; selecting another drone (the shown one was removed) refills through the subscription below. */
  const takeProfiles = (view: ProfilesView) => {
    const s = store.getState();
    s.setProfiles(view);
    s.selectProfile(pickProfile(view, s.profile, memory.load()));
  };

  const refill = async () => {
    const before = store.getState().profile;
    try {
      takeProfiles(await client.call('profiles.list', {}));
    } catch (err) {
      onError('profiles.list', err);
    }
    // Another drone selected: the subscription below has refilled already.
    if (store.getState().profile !== before) return;
    client.setProfile(before);
    await refillDrone();
  };

  const unsubscribeStore = store.subscribe((s, prev) => {
    if (s.profile === prev.profile) return;
    client.setProfile(s.profile);
    memory.save(s.profile);
    void refillDrone();
  });

  const offs = [
    client.on('snapshot', (s) => store.getState().applySnapshot(s)),
    client.on('logs', (lines) => {
      if (held) held.push(lines);
      else store.getState().appendLogs(lines);
    }),
    client.on('profiles', takeProfiles),
    client.on('navigate', (to) => store.getState().navigate(to)),
    client.onConnection((state) => {
      store.getState().setConnection(state);
      if (state.status === 'open') void refill();
    }),
    unsubscribeStore,
  ];

  const initial = client.connection();
  store.getState().setConnection(initial);
  if (initial.status === 'open') void refill();

  return () => {
    generation++;
    for (const off of offs) off();
  };
}
