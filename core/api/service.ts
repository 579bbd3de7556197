import type { EventMessage, Snapshot } from './contract.js';
import type { Dispatch } from './dispatcher.js';

/**
 * What a host (the Electron main process, the headless WebSocket server) needs of the engine: the
 * contract's dispatcher, the current snapshot, and the event stream. DroneService is the one there is.
 */
export interface ApiService {
  readonly dispatch: Dispatch;
  snapshot(): Snapshot;
  on(event: 'event', listener: (msg: EventMessage) => void): unknown;
  off(event: 'event', listener: (msg: EventMessage) => void): unknown;
}
