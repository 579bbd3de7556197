/**
 * What the drone tells about its worker processes: plain data, no Node types, so that the
 * renderer can import it as it is.
 */

export type InstanceState = 'starting' | 'idle' | 'busy' | 'crashed' | 'restarting' | 'stopped';

export interface InstanceInfo {
  id: string;
  type: string;
  pid: number | null;
  state: InstanceState;
  currentTask: string | null;
  runningForMs: number | null;
  done: number;
  failed: number;
  restarts: number;
  lastExit: string | null;
  /** First 8 hex digits of the sha256 of the module file as it was when this process started. */
  codeVersion: string | null;
  /** A "debug this type" instance (Node inspector on loopback). */
  debug: boolean;
}

/** Where a debug instance's inspector listens, once it said so on stderr. */
export interface InspectorAddress {
  host: string;
  port: number;
  webSocketUrl: string;
}
