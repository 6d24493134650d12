// /echo: the WebSocket echo, hardened. A protocol error (or a message over the size limit) closes that one
// connection — ws answers with the close code (1002, 1007, 1009) — and is counted; the process never notices.
// Backpressure: while more than `highWaterBytes` of echoes wait to be written (a client that sends without
// reading), reading from that client stops; it resumes once the queue has drained to half.
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { Counter, type Logger, type Registry } from '@livelab/service-kit';
import { cleanPath, goRequest, type GoRequest } from './go-request';
import { GO_CLOSE } from './go-response';

export const DEFAULT_WS_MAX_PAYLOAD = 1024 * 1024;

export interface EchoOptions {
  maxPayload: number;
  /** Bytes of unsent echoes above which reading pauses (at least one maximal message). */
  highWaterBytes?: number;
  logger: Logger;
  registry: Registry;
  /** The plain HTTP handler, for upgrade requests that are not a WebSocket handshake on /echo. */
  serveHttp: (req: IncomingMessage, res: ServerResponse) => void;
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

/**
 * Serve an upgrade request that is not a WebSocket handshake for /echo as the plain HTTP request it is to Go,
 * then give the connection back to the HTTP server (Go keeps it alive).
 */
function serveOnSocket(server: Server, req: IncomingMessage, socket: Socket, head: Buffer, serveHttp: (req: IncomingMessage, res: ServerResponse) => void) {
  const res = new ServerResponse(req);
  res.assignSocket(socket);
  req.push(null); // Node gave the bytes after the head to the upgrade: the request has no body of its own
  res.once('finish', () => {
    res.detachSocket(socket);
    if (res.getHeader('Connection') === 'close' || (res as ServerResponse & { [GO_CLOSE]?: boolean })[GO_CLOSE]) {
      socket.end();
      return;
    }
    if (head.length) socket.unshift(head);
    // Back to the HTTP server's parser (over TLS, the socket is already decrypted: its 'secureConnection').
    server.emit(socket instanceof TLSSocket ? 'secureConnection' : 'connection', socket);
  });
  serveHttp(req, res);
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

/** Serve WebSocket upgrades on /echo for `server`; every other upgrade request is answered as plain HTTP. */
export function attachWebSocketEcho(server: Server, options: EchoOptions): WebSocketServer {
  const highWater = Math.max(options.highWaterBytes ?? 1024 * 1024, options.maxPayload);
  const errors = new Counter({
    name: 'livelab_whoami_websocket_errors_total',
    help: 'WebSocket connections closed for a protocol error or an oversized message',
    registers: [options.registry],
  });
  // Like gorilla's Upgrader with no Subprotocols: never selects a subprotocol.
  const websockets = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload, handleProtocols: () => false });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', ignore); // a reset during or after the handshake is that client's problem only
    const r = goRequest(req);
    if (!r || r.path !== '/echo' || cleanPath(r.path) !== r.path || gorillaRefusal(r)) return serveOnSocket(server, req, socket, head, options.serveHttp);
    // gorilla closes a connection whose client sent data before the handshake's answer.
    if (head.length) return socket.destroy();
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
