/**
 * One UI client's WebSocket: its calls go to the service, the service's events come back. Whatever
 * the client sends or fails to read, it cannot take the drone down: its calls in flight are capped,
 * an answer too big to send becomes an error, a client too far behind is disconnected, and no send
 * can throw or reject unheard.
 */
import type { WebSocket } from 'ws';
import type { ApiError, EventMessage, Request, Response } from '../api/contract.js';
import type { Logger } from '../log/logger.js';
import type { ApiService } from '../api/service.js';

export interface ConnectionLimits {
  /** Calls of one connection being answered at once; more are answered 'busy' without running. */
  maxInFlight: number;
  /** Output waiting for a client that does not read; past it the connection is closed. */
  maxBufferedBytes: number;
  /** One answer's JSON; a bigger result is answered with an error instead. */
  maxResponseBytes: number;
  /** Past this backlog the client gets no more snapshots until it catches up (logs still flow). */
  slowClientBytes: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxInFlight: 8,
  maxBufferedBytes: 32 * 1024 * 1024,
  maxResponseBytes: 32 * 1024 * 1024,
  slowClientBytes: 4 * 1024 * 1024,
};

const MiB = (n: number) => (n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

export function attachConnection(ws: WebSocket, service: ApiService, log: Logger, limits: ConnectionLimits, peer: string): { terminate(): void } {
  let inFlight = 0;
  let closed = false;

  const drop = (why: string) => {
    if (closed) return;
    closed = true;
    log.warn(`closed the UI connection from ${peer}: ${why}`);
    ws.terminate();
  };

  /** Sends unless the client is already too far behind; never throws. */
  const sendText = (text: string) => {
    if (closed || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > limits.maxBufferedBytes) {
      drop(`it is not reading (${MiB(ws.bufferedAmount)} waiting, the bound is ${MiB(limits.maxBufferedBytes)})`);
      return;
    }
    try {
      ws.send(text, (err) => {
        if (err && !closed) log.debug(`a send to the UI connection from ${peer} failed: ${err.message}`);
      });
    } catch (err) {
      log.debug(`a send to the UI connection from ${peer} failed: ${(err as Error).message}`);
    }
  };

  const answer = (id: number, method: string, out: { ok: true; result: unknown } | { ok: false; error: ApiError }) => {
    let text: string;
    try {
      text = JSON.stringify({ id, ...out } as Response);
    } catch (err) {
      // A result JSON cannot hold (a cycle, a BigInt, a string past V8's limit): say so instead.
      text = JSON.stringify({
        id,
        ok: false,
        error: { code: 'failed', message: `${method}: the answer could not be sent as JSON: ${(err as Error).message}` },
      });
    }
    if (text.length > limits.maxResponseBytes / 3 && Buffer.byteLength(text) > limits.maxResponseBytes) {
      const size = Buffer.byteLength(text);
      text = JSON.stringify({
        id,
        ok: false,
        error: { code: 'failed', message: `${method}: the answer is ${MiB(size)}; the UI host sends at most ${MiB(limits.maxResponseBytes)} per answer` },
      });
    }
    sendText(text);
  };

  const onEvent = (msg: EventMessage) => {
    if (msg.event === 'snapshot' && ws.bufferedAmount > limits.slowClientBytes) return;
    let text: string;
    try {
      text = JSON.stringify(msg);
    } catch (err) {
      log.debug(`an event could not be sent as JSON: ${(err as Error).message}`);
      return;
    }
    sendText(text);
  };
  service.on('event', onEvent);
  ws.on('close', () => {
    closed = true;
    service.off('event', onEvent);
  });

  ws.on('message', (raw, isBinary) => {
    let req: Request;
    try {
      if (isBinary) throw new Error('binary');
      req = JSON.parse(raw.toString());
      if (typeof req !== 'object' || req === null || !Number.isSafeInteger(req.id)) throw new Error('shape');
    } catch {
      ws.close(1003, 'expected {id, method, args} as JSON');
      return;
    }
    const method = typeof req.method === 'string' ? req.method.slice(0, 100) : String(req.method);
    if (inFlight >= limits.maxInFlight) {
      answer(req.id, method, {
        ok: false,
        error: { code: 'busy', message: `${method}: this connection already has ${limits.maxInFlight} calls running; wait for their answers and call again` },
      });
      return;
    }
    inFlight++;
    service
      .dispatch(req.method, req.args, req.profile)
      .catch((err: unknown) => ({ ok: false as const, error: { code: 'failed' as const, message: `${method}: ${(err as Error)?.message ?? String(err)}` } }))
      .then((out) => {
        inFlight--;
        answer(req.id, method, out);
      })
      .catch((err: unknown) => log.error(`answering ${method} on the UI connection from ${peer}: ${(err as Error)?.message ?? String(err)}`));
  });

  try {
    for (const msg of service.greeting()) onEvent(msg);
  } catch (err) {
    log.warn(`no first snapshot for the UI connection from ${peer}: ${(err as Error).message}`);
  }
  return { terminate: () => ws.terminate() };
}
