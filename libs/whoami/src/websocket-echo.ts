// /echo: the WebSocket echo, hardened. A protocol error (or a message over the size limit) closes that one
// connection — ws answers with the close code (1002, 1007, 1009) — and is counted; the process never notices.
// Backpressure: while more than `highWaterBytes` of echoes wait to be written (a client that sends without
// reading), reading from that client stops; it resumes once the queue has drained to half.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Counter, type Logger, type Registry } from '@livelab/service-kit';

export const DEFAULT_WS_MAX_PAYLOAD = 1024 * 1024;

export interface EchoOptions {
  maxPayload: number;
  /** Bytes of unsent echoes above which reading pauses (at least one maximal message). */
  highWaterBytes?: number;
  logger: Logger;
  registry: Registry;
}

const ignore = () => undefined;

/** The raw answer for an upgrade request we refuse (the socket has not become a WebSocket). */
function refuseUpgrade(socket: Duplex, status: string, reason: string): void {
  const body = `${status}: ${reason}`;
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** The path of an upgrade request's target, or null when the target is not a URL. */
export function upgradePath(target: string | undefined): string | null {
  try {
    return new URL(target ?? '/', 'http://x').pathname;
  } catch {
    return null;
  }
}

export function echoWithBackpressure(ws: WebSocket, highWaterBytes: number): void {
  let queued = 0;
  let paused = false;
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const size = (data as Buffer).length;
    queued += size;
    ws.send(data, { binary: isBinary }, () => {
      queued -= size;
      if (paused && queued <= highWaterBytes / 2) {
        paused = false;
        ws.resume();
      }
    });
    if (!paused && queued > highWaterBytes) {
      paused = true;
      ws.pause();
    }
  });
}

/** Serve WebSocket upgrades on /echo for `server`; every other upgrade target is refused. */
export function attachWebSocketEcho(server: Server, options: EchoOptions): WebSocketServer {
  const highWater = Math.max(options.highWaterBytes ?? 1024 * 1024, options.maxPayload);
  const errors = new Counter({
    name: 'livelab_whoami_websocket_errors_total',
    help: 'WebSocket connections closed for a protocol error or an oversized message',
    registers: [options.registry],
  });
  const websockets = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', ignore); // a reset during or after the handshake is that client's problem only
    const path = upgradePath(req.url);
    if (path === null) return refuseUpgrade(socket, '400 Bad Request', 'invalid request target');
    if (path !== '/echo') return refuseUpgrade(socket, '404 Not Found', 'no WebSocket here (use /echo)');
    websockets.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', (err: Error & { code?: string }) => {
        errors.inc();
        options.logger.debug({ code: err.code, err: err.message }, 'websocket closed on error');
      });
      echoWithBackpressure(ws, highWater);
    });
  });
  return websockets;
}

/** Close every WebSocket (1001), wait up to `graceMs` for the clients' answers, then cut the ones that ignore it. */
export async function closeWebSockets(websockets: WebSocketServer, graceMs: number): Promise<void> {
  for (const ws of websockets.clients) ws.close(1001, 'server shutting down');
  const deadline = Date.now() + graceMs;
  while (websockets.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  for (const ws of websockets.clients) ws.terminate();
}
