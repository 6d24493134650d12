// /echo: the WebSocket echo, hardened. A protocol error (or a message over the size limit) closes that one
// connection — ws answers with the close code (1002, 1007, 1009) — and is counted; the process never notices.
// Backpressure: while more than `highWaterBytes` of echoes wait to be written (a client that sends without
// reading), reading from that client stops; it resumes once the queue has drained to half.
import { IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Counter, type Logger, type Registry } from '@livelab/service-kit';
import { cleanPath, goRequest, type GoRequest } from './go-request';

export const DEFAULT_WS_MAX_PAYLOAD = 1024 * 1024;

export interface EchoOptions {
  maxPayload: number;
  /** Bytes of unsent echoes above which reading pauses (at least one maximal message). */
  highWaterBytes?: number;
  logger: Logger;
  registry: Registry;
}

const ignore = () => undefined;

/** Why gorilla's Upgrader refuses this handshake (status 400 or 405), or undefined when it accepts it. */
export function gorillaRefusal(r: GoRequest): { status: number } | undefined {
  const has = (key: string, token: string) => (r.header.get(key) ?? []).some((v) => v.split(',').some((t) => t.trim().toLowerCase() === token));
  if (!has('Connection', 'upgrade') || !has('Upgrade', 'websocket')) return { status: 400 };
  if (r.method !== 'GET') return { status: 405 };
  if (!has('Sec-Websocket-Version', '13')) return { status: 400 };
  const key = r.header.get1('Sec-Websocket-Key');
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return { status: 400 };
  return undefined;
}

/** A WebSocket handshake for /echo that gorilla accepts (Go's clean path, GET, the tokens, a valid key). */
export function isEchoHandshake(req: IncomingMessage): boolean {
  const r = goRequest(req);
  return !!r && r.path === '/echo' && cleanPath(r.path) === r.path && !gorillaRefusal(r);
}

/** The IncomingMessage Node is about to route, seen from its constructor (see routeUpgradesAsHttp). */
let routing: IncomingMessage | undefined;
export class TrackedIncomingMessage extends IncomingMessage {
  constructor(socket: Socket) {
    super(socket);
    routing = this; // eslint-disable-line @typescript-eslint/no-this-alias
  }
}

/**
 * Go answers every request with Upgrade headers that is not a WebSocket handshake for /echo as plain HTTP (body,
 * keep-alive and all). Node hands such requests to the 'upgrade' listener whenever one exists, asking
 * `server.listenerCount('upgrade')` right after parsing their head (parserOnIncoming): answer 0 for those, so Node
 * parses them as the plain requests they are. The server must be created with `IncomingMessage:
 * TrackedIncomingMessage` (its constructor runs for that same request, synchronously, just before).
 */
export function routeUpgradesAsHttp(server: Server): void {
  const count = server.listenerCount.bind(server);
  server.listenerCount = ((event: string | symbol, listener?: (...args: unknown[]) => void) =>
    event === 'upgrade' && routing && !isEchoHandshake(routing) ? 0 : count(event, listener)) as Server['listenerCount'];
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

/** Serve WebSocket upgrades on /echo for `server` (every other upgrade request is plain HTTP: routeUpgradesAsHttp). */
export function attachWebSocketEcho(server: Server, options: EchoOptions): WebSocketServer {
  const highWater = Math.max(options.highWaterBytes ?? 1024 * 1024, options.maxPayload);
  const errors = new Counter({
    name: 'livelab_whoami_websocket_errors_total',
    help: 'WebSocket connections closed for a protocol error or an oversized message',
    registers: [options.registry],
  });
  // Like gorilla's Upgrader with no Subprotocols: never selects a subprotocol.
  const websockets = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload, handleProtocols: () => false });
  routeUpgradesAsHttp(server);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', ignore); // a reset during or after the handshake is that client's problem only
    // routeUpgradesAsHttp sends everything else to the HTTP handler; gorilla closes a connection whose client
    // sent data before the handshake's answer.
    if (!isEchoHandshake(req) || head.length) {
      socket.destroy();
      return;
    }
    // ws checks the same handshake with exact values where gorilla looks for tokens: give it those.
    req.headers.upgrade = 'websocket';
    req.headers['sec-websocket-version'] = '13';
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
