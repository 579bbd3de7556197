import type { Bridge, EventMessage, MethodName } from '../../../core/api/contract.js';
import type { Outcome } from './rpc.js';
import type { ConnectionState, Transport } from './transport.js';

/** Inside Electron the preload's bridge is always there: no sockets, no reconnects. */
export class BridgeTransport implements Transport {
  private readonly open: ConnectionState = { status: 'open' };

  constructor(private readonly bridge: Bridge) {}

  invoke(method: MethodName, args: unknown, profile?: string): Promise<Outcome> {
    return this.bridge.invoke(method, args, profile);
  }

  subscribe(listener: (msg: EventMessage) => void): () => void {
    return this.bridge.subscribe(listener);
  }

  state(): ConnectionState {
    return this.open;
  }

  onState(): () => void {
    return () => {};
  }

  reconnectNow(): void {}
}
