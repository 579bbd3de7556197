import { WebSocket, type ClientOptions } from 'ws';
import { DroneService, type DroneServiceOptions } from '../../core/service/droneService.js';
import type { EventMessage, MethodName, Response, Result, Snapshot } from '../../core/api/contract.js';
import { demoDroneDir } from './demo.js';

/** A real DroneService on the demo workers, with its config file in a temp dir. */
export async function startService(
  url: string,
  schema: string,
  extra: Record<string, unknown> = {},
  opts: Partial<DroneServiceOptions> = {},
): Promise<{ service: DroneService; dir: string; file: string }> {
  const { dir, file } = demoDroneDir(url, schema, 'swarmage.config.json', { hexadecimalInstances: 2, extra });
  const service = new DroneService({ configFile: file, logToStderr: Boolean(process.env.TEST_LOG), ...opts });
  await service.start();
  return { service, dir, file };
}

/** Calls the service as a UI does (through the dispatcher); throws with the error when the call fails. */
export async function call<M extends MethodName>(service: DroneService, method: M, args: unknown): Promise<Result<M>> {
  const out = await service.dispatch(method, args);
  if (!out.ok) throw new Error(`${method}: ${out.error.code}: ${out.error.message}`);
  return out.result as Result<M>;
}

/** The /api address of a running host (a host bound to every address is reached on loopback). */
export function apiUrl(h: { url: string }): string {
  return `${h.url.replace(/^http/, 'ws').replace('0.0.0.0', '127.0.0.1')}api`;
}

/** The header a tool sends to be let in. */
export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** A WebSocket API client, as the browser UI uses it. */
export class ApiSocket {
  private nextId = 1;
  private waiting = new Map<number, (r: Response) => void>();
  readonly events: EventMessage[] = [];
  closeCode: number | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if ('event' in msg) this.events.push(msg);
      else this.waiting.get(msg.id)?.(msg);
    });
    ws.on('close', (code) => (this.closeCode = code));
  }

  static open(url: string, headers: Record<string, string> = {}, options: ClientOptions = {}): Promise<ApiSocket> {
    const ws = new WebSocket(url, { ...options, headers });
    return new Promise((resolve, reject) => {
      const s = new ApiSocket(ws);
      ws.once('open', () => resolve(s));
      ws.once('error', reject);
    });
  }

  /** A host's API as a tool reaches it: with the token as a Bearer header. */
  static toHost(h: { url: string; token: string }, headers: Record<string, string> = {}, options: ClientOptions = {}): Promise<ApiSocket> {
    return ApiSocket.open(apiUrl(h), { ...bearer(h.token), ...headers }, options);
  }

  /** Resolves with the close code (for refused connections). */
  static closedWith(url: string, headers: Record<string, string> = {}, options: ClientOptions = {}): Promise<number> {
    const ws = new WebSocket(url, { ...options, headers });
    return new Promise((resolve, reject) => {
      ws.once('close', (code) => resolve(code));
      ws.once('error', reject);
    });
  }

  call(method: string, args?: unknown, profile?: string): Promise<Response> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, args, profile }));
    });
  }

  /** The drone's snapshot (drone.snapshot); throws with the answer when the call fails. */
  async snapshot(): Promise<Snapshot> {
    const res = await this.call('drone.snapshot', {});
    if (!res.ok) throw new Error(`drone.snapshot failed: ${JSON.stringify(res)}`);
    return res.result as Snapshot;
  }

  close(): void {
    this.ws.close();
  }
}
