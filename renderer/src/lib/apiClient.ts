import type { ArgsIn, EventName, Events, MethodName, Result } from '../../../core/api/contract.js';
import { Emitter } from './emitter.js';
import { unwrap } from './rpc.js';
import type { ConnectionState, Transport } from './transport.js';

export type CallFn = <M extends MethodName>(method: M, args: ArgsIn<M>) => Promise<Result<M>>;

export interface Client {
  /** Resolves with the method's result; throws an ApiCallError (message, code, issues) when it failed. */
  call: CallFn;
  on<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void;
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  reconnectNow(): void;
}

/** Typed calls and events over any transport; one subscription to it, fanned out by event name. */
export function createClient(transport: Transport): Client {
  const events = new Emitter<Events>();
  transport.subscribe((msg) => events.emit(msg.event, msg.data as Events[typeof msg.event]));
  return {
    call: (<M extends MethodName>(method: M, args: ArgsIn<M>) => transport.invoke(method, args).then((outcome) => unwrap(outcome) as Result<M>)) as CallFn,
    on: (event, listener) => events.on(event, listener),
    connection: () => transport.state(),
    onConnection: (listener) => transport.onState(listener),
    reconnectNow: () => transport.reconnectNow(),
  };
}
