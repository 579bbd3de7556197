/**
 * The one way the UI talks to the drone. The transport is chosen once, on first use: the Electron
 * preload's `window.swarmage` bridge when present, else a WebSocket to this page's host.
 */
import type { ArgsIn, Bridge, EventName, Events, MethodName, Result } from '../../../core/api/contract.js';
import { BridgeTransport } from '../lib/bridgeTransport.js';
import { createClient, type Client } from '../lib/apiClient.js';
import { SocketTransport, type SocketLike } from '../lib/socketTransport.js';
import type { ConnectionState, Transport } from '../lib/transport.js';
import { socketUrl } from '../lib/token.js';

export { ApiCallError } from '../lib/rpc.js';
export type { ConnectionState } from '../lib/transport.js';

declare global {
  interface Window {
    swarmage?: Bridge;
  }
}

let client: Client | null = null;

function pickTransport(): Transport {
  if (window.swarmage) return new BridgeTransport(window.swarmage);
  return new SocketTransport({
    url: socketUrl(location.protocol, location.host),
    createSocket: openSocket,
    onInvalidFrame: (reason) => console.warn(`swarmage: ignored a frame from the host (${reason})`),
  });
}

/** The DOM WebSocket behind the small interface the (DOM-free, testable) transport expects. */
function openSocket(url: string): SocketLike {
  const ws = new WebSocket(url);
  const socket: SocketLike = {
    get readyState() {
      return ws.readyState;
    },
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    onopen: null,
    onclose: null,
    onmessage: null,
    onerror: null,
  };
  ws.onopen = (ev) => socket.onopen?.(ev);
  ws.onclose = (ev) => socket.onclose?.({ code: ev.code, reason: ev.reason });
  ws.onmessage = (ev) => socket.onmessage?.({ data: ev.data });
  ws.onerror = (ev) => socket.onerror?.(ev);
  return socket;
}

export function getClient(): Client {
  client ??= createClient(pickTransport());
  return client;
}

export function call<M extends MethodName>(method: M, args: ArgsIn<M>): Promise<Result<M>> {
  return getClient().call(method, args);
}

export function on<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void {
  return getClient().on(event, listener);
}

export function onConnection(listener: (state: ConnectionState) => void): () => void {
  return getClient().onConnection(listener);
}

export function reconnectNow(): void {
  getClient().reconnectNow();
}
