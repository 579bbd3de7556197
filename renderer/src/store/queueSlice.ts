/**
 * Where the operator is in the whole-queue views: the type open in Queue, the task looked up there,
 * and the drone open in Fleet. In the store rather than in the views, so that one view can send the
 * operator to another (a drone's type opens in Queue, a held task is looked up).
 */
import type { ViewId } from '../lib/shortcuts.js';

export interface QueueSlice {
  queueType: string | null;
  lookupId: string | null;
  fleetDrone: string | null;

  /** Opens a type's tasks in the Queue view (null closes them). */
  openQueueType(type: string | null): void;
  /** Looks a task up in the Queue view (null clears it). */
  lookUp(id: string | null): void;
  openDrone(id: string | null): void;
}

type Set = (partial: Partial<QueueSlice>) => void;

export function queueSlice(set: Set, setView: (view: ViewId) => void): QueueSlice {
  return {
    queueType: null,
    lookupId: null,
    fleetDrone: null,

    openQueueType: (queueType) => {
      set({ queueType });
      setView('queue');
    },
    lookUp: (lookupId) => {
      set({ lookupId });
      setView('queue');
    },
    openDrone: (fleetDrone) => {
      set({ fleetDrone });
      setView('fleet');
    },
  };
}
