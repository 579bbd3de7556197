import type { EventMessage } from './contract.js';
import type { Dispatch } from './dispatcher.js';

/**
 * What a host (the Electron main process, the headless WebSocket server) needs of the engine: the
 * contract's dispatcher, what a new connection is sent first, and the event stream. The hosts serve
 * a ProfileManager (core/app), which routes drone methods to a DroneService.
 */
export interface ApiService {
  readonly dispatch: Dispatch;
  /** The events a UI that just connected needs to draw itself (the profile list, the snapshots). */
  greeting(): EventMessage[];
  on(event: 'event', listener: (msg: EventMessage) => void): unknown;
  off(event: 'event', listener: (msg: EventMessage) => void): unknown;
}
