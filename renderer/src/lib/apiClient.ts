import type { ArgsIn, EventName, Events, MethodName, Result } from '../../../core/api/contract.js';
import { isProfileMethod } from '../../../core/api/contract.js';
import { Emitter } from './emitter.js';
import { unwrap } from './rpc.js';
import type { ConnectionState, Transport } from './transport.js';

export type CallFn = <M extends MethodName>(method: M, args: ArgsIn<M>) => Promise<Result<M>>;

export interface Client {
  /** Resolves with the method's result; throws an ApiCallError (message, code, issues) when it failed. */
  call: CallFn;
  /** Drone events (snapshot, logs, failure) of the selected profile only; the others as they come. */
  on<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void;
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  reconnectNow(): void;
  /** The drone that calls go to and whose events are heard (ProfileInfo.id); null: the host's first. */
  profile(): string | null;
  setProfile(id: string | null): void;
}

/** Events that belong to one drone, and reach a view only when that drone is the one shown. */
const DRONE_EVENTS: ReadonlySet<EventName> = new Set<EventName>(['snapshot', 'logs', 'failure']);

/** Typed calls and events over any transport; one subscription to it, fanned out by event name. */
export function createClient(transport: Transport): Client {
  const events = new Emitter<Events>();
  let profile: string | null = null;
  transport.subscribe((msg) => {
    // An event without a profile comes from a host that runs one drone (an older one): it is that drone's.
    if (DRONE_EVENTS.has(msg.event) && msg.profile !== undefined && profile !== null && msg.profile !== profile) return;
    events.emit(msg.event, msg.data as Events[typeof msg.event]);
  });
  return {
    call: (<M extends MethodName>(method: M, args: ArgsIn<M>) =>
      transport
        .invoke(method, args, isProfileMethod(method) || profile === null ? undefined : profile)
        .then((outcome) => unwrap(outcome) as Result<M>)) as CallFn,
    on: (event, listener) => events.on(event, listener),
    connection: () => transport.state(),
    onConnection: (listener) => transport.onState(listener),
    reconnectNow: () => transport.reconnectNow(),
    profile: () => profile,
    setProfile: (id) => {
      profile = id;
    },
  };
}
