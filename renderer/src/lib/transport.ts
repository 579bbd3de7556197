import type { EventMessage, MethodName } from '../../../core/api/contract.js';
import type { Outcome } from './rpc.js';

export type ConnectionState =
  /** attempt: 0 for the first connection, then the number of the reconnect attempt. */
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  /** The socket closed; the next attempt is at retryAt. */
  | { status: 'reconnecting'; retryAt: number; attempt: number; reason: string }
  /** The host refused the token (close code 4401): retrying cannot help, a new URL can. */
  | { status: 'unauthorized' };

/** The UI's only door to the drone: the Electron bridge and the WebSocket both look like this. */
export interface Transport {
  /** `profile`: the drone a drone method goes to (ProfileInfo.id); the host's first when not given. */
  invoke(method: MethodName, args: unknown, profile?: string): Promise<Outcome>;
  subscribe(listener: (msg: EventMessage) => void): () => void;
  state(): ConnectionState;
  onState(listener: (state: ConnectionState) => void): () => void;
  /** Skip the rest of the backoff wait (a "reconnect now" button). */
  reconnectNow(): void;
}
