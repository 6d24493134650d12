// The whoami HTTP(S) server: traefik/whoami v1.11.0's handlers, answering with Go's exact bytes (go-response.ts,
// go-request.ts), plus livelab's probes and metrics. Deliberate differences are listed in apps/whoami/README.md.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import express from 'express';
import type { WebSocketServer } from 'ws';
import { Counter, createMetricsRegistry, HealthState, limitConnections, opsRouter, type Logger, type Registry } from '@livelab/service-kit';
import { envLines, formatRequest, formatRequestHead, formatWhoamiJson, identityLines, type Identity } from './request-echo';
import { goLogTime, goRemoteAddr, parseGoBool, parseGoDuration } from './go-compat';
import { dataChunkAt } from './data-pattern';
import { attachWebSocketEcho, DEFAULT_WS_MAX_PAYLOAD, gorillaRefusal, TrackedIncomingMessage } from './websocket-echo';
import { GO_BAD_REQUEST_RAW, goBadRequest, goConnInfo, goError, goRespond, GoResponse, httpDate } from './go-response';
import { cleanPath, goQuery, goRequest, queryGet, type GoRequest } from './go-request';
import { decodeGoInt } from './go-json';

export interface WhoamiConfig {
  identity: Identity;
  /** Allow ?env=true (the environment holds secrets: off unless asked for). */
  allowEnv: boolean;
  /** Largest /data body, bytes. */
  dataMaxBytes: number;
  verbose: boolean;
  /** CORS origins for /api; empty: no CORS headers (as traefik/whoami). */
  allowedOrigins: string;
  tls?: { cert: string; key: string; ca?: string };
  logger: Logger;
  /** Where --verbose access lines go (default stdout). */
  accessLog?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  registry?: Registry;
  /** Largest WebSocket message on /echo, bytes (default 1 MiB); a bigger one closes that connection (1009). */
  wsMaxPayloadBytes?: number;
}

const ignoreError = () => undefined;
const EMPTY = Buffer.alloc(0);
const CRLF = Buffer.from('\r\n');
/** What whoami's http.Error prints when Request.Write's body read fails after Go discarded the body. */
const BODY_CLOSED = 'http: invalid Read on closed Body\n';

/** Largest wait honoured by ?wait= (a DoS guard; traefik has none). */
const MAX_WAIT_MS = 60_000;
/** Largest request body the echo reads (traefik has none). */
const MAX_BODY = 10 * 1024 * 1024;

export const ENV_REFUSED =
  'env=true is disabled: the environment holds secrets. Start whoami with --allow-env (WHOAMI_ALLOW_ENV=true) to allow it.';

/** Read the request body (none for upgrade requests: Node hands their bytes to the upgrade). */
function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (req.complete && req.readableEnded) return resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`request body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Go's strconv.ParseInt(s, 10, 64); null on error. */
function parseInt64(s: string): bigint | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const v = BigInt(s);
  return v > 2n ** 63n - 1n || v < -(2n ** 63n) ? null : v;
}
const UNITS: Record<string, bigint> = { kb: 1n << 10n, mb: 1n << 20n, gb: 1n << 30n, tb: 1n << 40n };
/** int64 multiplication wraps in Go. */
const wrap64 = (v: bigint) => BigInt.asIntN(64, v);

interface Ctx {
  req: IncomingMessage;
  r: GoRequest;
  w: GoResponse;
  query: ReadonlyMap<string, string[]>;
}

export interface WhoamiServer {
  server: Server;
  health: HealthState;
  registry: Registry;
  websockets: WebSocketServer;
}

/** Sockets whoami holds at once (see limitConnections in createWhoamiServer). */
const MAX_CONNECTIONS = 10_000;

/** The HTTP (or HTTPS, mutual TLS with a CA) server. Listen on it yourself. */
export function createWhoamiServer(config: WhoamiConfig): WhoamiServer {
  const health = new HealthState();
  const registry = config.registry ?? createMetricsRegistry('whoami');
  const env = config.env ?? process.env;
  const requests = new Counter({ name: 'livelab_whoami_requests_total', help: 'Requests by route', labelNames: ['route'], registers: [registry] });
  const bench = new Counter({ name: 'livelab_whoami_bench_requests_total', help: '/bench requests', registers: [registry] });
  const echoes = new Counter({ name: 'livelab_whoami_echo_requests_total', help: 'Request echoes (/ and other paths)', registers: [registry] });
  const accessLog = config.verbose ? (config.accessLog ?? ((line: string) => process.stdout.write(`${line}\n`))) : undefined;
  const ops = express();
  ops.disable('x-powered-by');
  ops.use(opsRouter(health, registry));
  let healthStatus = 200;

  const wantsEnv = (c: Ctx) => parseGoBool(queryGet(c.query, 'env')) === true;
  const refuseEnv = (c: Ctx) => goError(c.w, ENV_REFUSED, 403);

  /** `/` and every other path: wait if asked, read the body, echo (synchronously when there is neither). */
  function whoamiHandler(c: Ctx): void | Promise<void> {
    echoes.inc();
    const wait = queryGet(c.query, 'wait');
    const ms = wait === '' ? null : parseGoDuration(wait);
    if ((ms !== null && ms > 0) || c.r.contentLength !== 0) return waitThenEcho(c, ms);
    echo(c, EMPTY);
  }
  async function waitThenEcho(c: Ctx, ms: number | null) {
    if (ms !== null && ms > 0) await new Promise((r) => setTimeout(r, Math.min(ms, MAX_WAIT_MS)));
    let body: Buffer = EMPTY;
    if (c.r.contentLength !== 0 && !(wantsEnv(c) && !config.allowEnv)) {
      try {
        body = await readBody(c.req);
      } catch (e) {
        return goError(c.w, (e as Error).message, 413);
      }
    }
    echo(c, body);
  }
  function echo(c: Ctx, body: Buffer) {
    const showEnv = wantsEnv(c);
    if (showEnv && !config.allowEnv) return refuseEnv(c);
    const { w } = c;
    const lines = identityLines(config.identity, c.req.socket);
    const text = formatRequest(c.r, body);
    const envText = showEnv ? envLines(env) : [];
    const head = Buffer.from(lines.join(''));
    const total = head.length + text.length + (showEnv ? Buffer.byteLength(envText.join('')) : 0);
    if (total <= 2048 && c.r.contentLength < 512) {
      // Fits Go's buffer: one Content-Length answer whatever the writes were (a sized body of 512 bytes or more
      // goes through ReadFrom, which flushes after sniffing: chunked, see echoSizedBody).
      w.write(showEnv ? Buffer.concat([head, text, Buffer.from(envText.join(''))]) : Buffer.concat([head, text], total));
      return w.end();
    }
    // Go's write sequence: one Write per Fprintln, then Request.Write's own 4096-byte bufio.Writer (WriteString always
    // goes through the buffer, so it flushes in 4096-byte pieces).
    for (const line of lines) w.write(line);
    if (c.r.contentLength > 0) return echoSizedBody(c, body, envText);
    if (c.r.contentLength === -1) {
      if (echoChunkedBody(c, body)) for (const line of envText) w.write(line);
      else w.write(BODY_CLOSED);
      return w.end();
    }
    for (let i = 0; i < text.length; i += 4096) w.write(text.subarray(i, i + 4096));
    for (const line of envText) w.write(line);
    w.end();
  }

  /**
   * A chunked request body: Request.Write flushes its head, then io.Copy (32 KiB reads; a body that arrived whole
   * comes back in one read per 32 KiB) into a chunkedWriter over its own 4096-byte bufio.Writer: the chunk size line
   * and the data are Writes (a Write larger than an empty buffer goes straight through), the CRLFs WriteStrings.
   */
  function echoChunkedBody(c: Ctx, body: Buffer): boolean {
    const { w } = c;
    const head = formatRequestHead(c.r, body.length);
    for (let i = 0; i < head.length; i += 4096) w.write(head.subarray(i, i + 4096));
    const bw = new GoBufioWriter(4096, (p) => w.write(p));
    // Once the answer's head is out on a connection Go keeps, the rest of the body was discarded: the next read
    // fails (see echoSizedBody) and Request.Write stops without its terminating chunk.
    const discarded = () => w.headWritten && !w.closeAfterReply;
    for (let i = 0; i < body.length; i += 32 * 1024) {
      if (discarded()) return false;
      const data = body.subarray(i, i + 32 * 1024);
      bw.write(Buffer.from(`${data.length.toString(16)}\r\n`));
      bw.write(data);
      bw.writeString(CRLF);
      bw.flush(); // FlushAfterChunkWriter
    }
    // The read that returned the data also saw the end when the terminating chunk was already in the connection's
    // buffer (the data came through a buffer fill, not a direct read); otherwise it takes one more read.
    if (!chunkedEndInSameRead(rawHeadLength(c.req), body.length) && discarded()) return false;
    bw.writeString(Buffer.from('0\r\n'));
    bw.writeString(CRLF);
    bw.flush();
    return true;
  }

  /**
   * A request with a Content-Length body: Request.Write flushes its head (one Write), then io.Copy of the body
   * lands in (*response).ReadFrom, whose reads come from the connection's 4096-byte bufio.Reader (what is left
   * of its first fill after the request head, then direct reads). Modelled for a request that arrived whole.
   */
  async function echoSizedBody(c: Ctx, body: Buffer, envText: string[]) {
    const { w } = c;
    const head = formatRequestHead(c.r, body.length);
    for (let i = 0; i < head.length; i += 4096) w.write(head.subarray(i, i + 4096));
    let buffered = Math.max(0, Math.min(4096, rawHeadLength(c.req) + body.length) - rawHeadLength(c.req));
    let pos = 0;
    let headBefore = w.headWritten;
    let discarded = false;
    w.unreadBody = () => body.length - pos;
    await w.copyFrom((max) => {
      if (!headBefore && w.headWritten) {
        headBefore = true;
        // Writing the head, Go's server (chunkWriter.writeHeader) discards what is left of a request body on a
        // connection it keeps (under 256 KiB; from there on it closes instead): the copy's next read fails, and
        // whoami's http.Error prints the error after what was echoed. traefik/whoami v1.11.0 does exactly this.
        const unread = body.length - pos;
        if (!w.closeAfterReply && unread > 0 && unread < 256 * 1024) {
          discarded = true;
          return null;
        }
      }
      const left = body.length - pos;
      if (left === 0) return null;
      let n: number;
      if (buffered > 0) n = Math.min(max, buffered, left);
      else if (max >= 4096) n = Math.min(max, left);
      else {
        buffered = Math.min(4096, left);
        n = Math.min(max, buffered);
      }
      buffered -= Math.min(buffered, n);
      return body.subarray(pos, (pos += n));
    });
    if (discarded) w.write(BODY_CLOSED);
    else for (const line of envText) w.write(line);
    w.end();
  }

  function apiHandler(c: Ctx) {
    requests.inc({ route: 'api' });
    const showEnv = wantsEnv(c);
    if (showEnv && !config.allowEnv) return refuseEnv(c);
    if (config.allowedOrigins) {
      c.w.header.set('Access-Control-Allow-Origin', config.allowedOrigins);
      c.w.header.set('Access-Control-Allow-Methods', '*');
    }
    c.w.header.set('Content-Type', 'application/json');
    goRespond(c.w, 200, formatWhoamiJson(config.identity, c.r, c.req.socket, showEnv ? env : undefined));
  }

  async function dataHandler(c: Ctx) {
    requests.inc({ route: 'data' });
    const { w } = c;
    let size = parseInt64(queryGet(c.query, 'size')) ?? 1n;
    if (size < 0n) size = 0n;
    const unit = queryGet(c.query, 'unit').toLowerCase();
    if (UNITS[unit]) size = wrap64(size * UNITS[unit]);
    if (size > BigInt(config.dataMaxBytes)) {
      return goError(w, `size ${queryGet(c.query, 'size')}${unit ? ` ${unit}` : ''} is over the maximum of ${config.dataMaxBytes} bytes (--data-max / WHOAMI_DATA_MAX)`, 400);
    }
    const n = Math.max(0, Number(size));
    if (parseGoBool(queryGet(c.query, 'attachment')) !== true) {
      // io.Copy(w, contentReader{size}): `size` bytes (none for size <= 1).
      const total = n <= 1 ? 0 : n;
      let pos = 0;
      await w.copyFrom((max) => {
        if (pos >= total) return null;
        const chunk = dataChunkAt(pos, Math.min(max, total - pos), total);
        pos += chunk.length;
        return chunk;
      });
      return w.end();
    }
    // http.ServeContent(w, r, "data.txt", time.Now(), contentReader{size}): the reader seeks to size-1 at its end.
    w.header.set('Content-Disposition', 'Attachment');
    w.header.set('Last-Modified', new Date().toUTCString());
    w.header.set('Content-Type', 'text/plain; charset=utf-8');
    const total = n - 1;
    if (total < 0) return goError(w, "seeker can't seek", 500);
    const range = parseGoRange(c.r.header.get1('Range'), total);
    if ('error' in range) {
      if (range.error === 'invalid range: failed to overlap') w.header.set('Content-Range', `bytes */${total}`);
      return goError(w, range.error, 416);
    }
    let start = 0;
    let length = total;
    let code = 200;
    if (range.ranges.length === 1 && range.ranges[0].length <= total) {
      ({ start, length } = range.ranges[0]);
      code = 206;
      w.header.set('Content-Range', `bytes ${start}-${start + length - 1}/${total}`);
    }
    w.header.set('Accept-Ranges', 'bytes');
    w.header.set('Content-Length', String(length));
    w.writeHeader(code);
    if (c.r.method !== 'HEAD') {
      let pos = start;
      const end = start + length;
      await w.copyFrom((max) => {
        if (pos >= end) return null;
        const chunk = dataChunkAt(pos, Math.min(max, end - pos), total);
        pos += chunk.length;
        return chunk;
      });
    }
    w.end();
  }

  async function healthHandler(c: Ctx) {
    requests.inc({ route: 'health' });
    if (c.r.method !== 'POST') return goRespond(c.w, healthStatus);
    let body: Buffer;
    try {
      body = await readBody(c.req, 64 * 1024);
    } catch (e) {
      return goError(c.w, (e as Error).message, 413);
    }
    const decoded = decodeGoInt(body);
    if ('error' in decoded) return goError(c.w, decoded.error, 400);
    // Deliberate: only a final status can be stored (the original stores anything, then panics or sends a 1xx).
    if (decoded.value < 200 || decoded.value > 599) return goError(c.w, `health status code must be from 200 to 599, got ${decoded.value}`, 400);
    healthStatus = decoded.value;
    config.logger.info({ statusCode: healthStatus }, 'health check status code updated');
    goRespond(c.w, 200);
  }

  function echoHandler(c: Ctx) {
    requests.inc({ route: 'echo' });
    // A valid handshake never gets here (it goes to the 'upgrade' listener): answer as gorilla refuses.
    const refusal = gorillaRefusal(c.r) ?? { status: 400 };
    c.w.header.set('Sec-Websocket-Version', '13');
    goError(c.w, refusal.status === 405 ? 'Method Not Allowed' : 'Bad Request', refusal.status);
  }

  function benchHandler(c: Ctx) {
    bench.inc();
    c.w.header.set('Connection', 'keep-alive');
    c.w.header.set('Content-Type', 'text/plain');
    goRespond(c.w, 200, '1');
  }

  const ROUTES: Record<string, (c: Ctx) => void | Promise<void>> = {
    '/bench': benchHandler,
    '/api': apiHandler,
    '/data': dataHandler,
    '/health': healthHandler,
    '/echo': echoHandler,
  };
  /** livelab's own endpoints (echo paths on the original). */
  const OPS = new Set(['/healthz', '/readyz', '/metrics']);

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    // The hot path (the benchmark of the server itself): GET /bench over HTTP/1.1 keep-alive with one Host. The same
    // bytes as benchHandler through GoResponse, written by node:http from headers in Go's order.
    const connection = req.headers.connection;
    if (req.url === '/bench' && req.method === 'GET' && req.httpVersion === '1.1' && (connection === undefined || /^keep-alive$/i.test(connection)) && !accessLog && hostCount(req) === 1 && !checkHost(req)) {
      bench.inc();
      res.sendDate = false;
      res.writeHead(200, ['Connection', 'keep-alive', 'Content-Type', 'text/plain', 'Date', httpDate(), 'Content-Length', '1']);
      res.end('1');
      return;
    }
    const r = goRequest(req);
    if (!r || hostCount(req) > 1) return goBadRequest(res);
    const hostError = checkHost(req, r.proto11, r.method);
    if (hostError) return goBadRequest(res, '400 Bad Request', hostError);
    const w = new GoResponse(goConnInfo(req, r.close, r.header.get1('Connection')), res);
    if (r.contentLength > 0) w.unreadBody = () => (req.readableEnded ? 0 : r.contentLength);
    if (accessLog)
      res.on('finish', () =>
        accessLog(`${goRemoteAddr(req.socket.remoteAddress, req.socket.remotePort)} - - [${goLogTime()}] "${req.method} ${r.path} HTTP/${req.httpVersion}" - -`),
      );
    if (r.target === '*') {
      if (r.method === 'OPTIONS') {
        w.header.set('Content-Length', '0');
        return w.end();
      }
      if (r.proto11) w.header.set('Connection', 'close');
      return goRespond(w, 400);
    }
    const clean = r.method === 'CONNECT' ? r.path : cleanPath(r.path);
    if (clean !== r.path) return goRedirect(w, r, clean);
    if (OPS.has(r.path)) return ops(req, res);
    const route = ROUTES[r.path] ?? whoamiHandler;
    const done = route({ req, r, w, query: goQuery(r.rawQuery) });
    if (done) done.catch((err: Error) => {
      config.logger.error({ err: err.message }, 'handler failed');
      res.destroy();
    });
  };

  const server = config.tls
    ? createHttpsServer(
        {
          cert: readFileSync(config.tls.cert),
          key: readFileSync(config.tls.key),
          minVersion: 'TLSv1.2',
          ...(config.tls.ca ? { ca: readFileSync(config.tls.ca), requestCert: true, rejectUnauthorized: true } : {}),
          IncomingMessage: TrackedIncomingMessage,
        },
        handler,
      )
    : createHttpServer({ requireHostHeader: false, IncomingMessage: TrackedIncomingMessage }, handler);
  (server as Server & { requireHostHeader?: boolean }).requireHostHeader = false;
  // Bounds on the sockets held (issue 16): Node's own header (60 s) and request timeouts, enforced every second
  // instead of every 30 s, and at most MAX_CONNECTIONS sockets — a new one past that evicts the oldest socket not in
  // a request of the address holding the most. traefik/whoami has no such bound; no answer changes (a socket over
  // the bound is closed before it is read). On TLS the raw sockets are counted and all count as evictable.
  limitConnections(server as Server, { maxConnections: MAX_CONNECTIONS, maxPerAddress: MAX_CONNECTIONS, checkEveryMs: 1000 });
  // Go never sends 100 Continue here (whoami reads the body only after writing to the buffer): neither do we.
  server.on('checkContinue', handler);
  // What Node's parser refuses, Go's refuses with its own bytes.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'HPE_HEADER_OVERFLOW' && socket.writable)
      socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large');
    else if (socket.writable && err.code !== 'ECONNRESET') socket.end(GO_BAD_REQUEST_RAW);
    else socket.destroy();
  });
  // Node's HTTP server handles errors on the sockets it reads; this listener covers a socket once it is upgraded.
  server.on('connection', (socket: Socket) => socket.on('error', ignoreError));
  const websockets = attachWebSocketEcho(server as Server, {
    maxPayload: config.wsMaxPayloadBytes ?? DEFAULT_WS_MAX_PAYLOAD,
    logger: config.logger,
    registry,
  });
  return { server: server as Server, health, registry, websockets };
}

/** readRequest's Host checks (HTTP/1.1 needs exactly one; Go's httpguts.ValidHostHeader). */
function hostCount(req: IncomingMessage): number {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].length === 4 && req.rawHeaders[i].toLowerCase() === 'host') hosts++;
  return hosts;
}
function checkHost(req: IncomingMessage, proto11 = true, method = 'GET'): string | undefined {
  const hosts = hostCount(req);
  const value = req.headers.host ?? '';
  if (proto11 && hosts === 0 && method !== 'CONNECT') return 'missing required Host header';
  if (hosts === 1 && !/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) return 'malformed Host header';
  return undefined;
}

/** Go's bufio.Writer: Write bypasses an empty buffer for data larger than it; WriteString always copies through. */
class GoBufioWriter {
  private buf: Buffer[] = [];
  private n = 0;
  constructor(
    private readonly size: number,
    private readonly sink: (p: Buffer) => void,
  ) {}
  write(p: Buffer): void {
    while (p.length > this.size - this.n) {
      if (this.n === 0) {
        this.sink(p);
        return;
      }
      p = this.fill(p);
    }
    this.append(p);
  }
  writeString(p: Buffer): void {
    while (p.length > this.size - this.n) p = this.fill(p);
    this.append(p);
  }
  flush(): void {
    if (this.n === 0) return;
    const out = Buffer.concat(this.buf, this.n);
    this.buf = [];
    this.n = 0;
    this.sink(out);
  }
  private fill(p: Buffer): Buffer {
    const k = this.size - this.n;
    this.append(p.subarray(0, k));
    this.flush();
    return p.subarray(k);
  }
  private append(p: Buffer): void {
    if (!p.length) return;
    this.buf.push(p);
    this.n += p.length;
  }
}

/**
 * Whether Go's chunkedReader returns io.EOF with the data of a one-chunk body of `size` bytes (up to 32 KiB) that
 * arrived whole after a head of `headLength` bytes: the connection's bufio.Reader (4096 bytes) holds the start;
 * the rest of the data comes by a direct read when it is 4096 bytes or more (the end then stays unread), by a
 * buffer fill otherwise (which brings the 7-byte end along when it fits).
 */
function chunkedEndInSameRead(headLength: number, size: number): boolean {
  if (size > 32 * 1024) return false;
  const sizeLine = size.toString(16).length + 2;
  const inBuffer = Math.max(0, Math.min(4096, headLength + sizeLine + size + 7) - headLength);
  if (inBuffer >= sizeLine + size + 7) return true;
  const rest = size - Math.max(0, inBuffer - sizeLine);
  return rest > 0 && rest < 4096 && rest + 7 <= 4096;
}

/** The request head's length as it arrived (request line, headers, blank line; Node keeps no raw copy). */
function rawHeadLength(req: IncomingMessage): number {
  let n = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`.length + 2;
  for (let i = 0; i < req.rawHeaders.length; i += 2) n += req.rawHeaders[i].length + req.rawHeaders[i + 1].length + 4;
  return n;
}

/** ServeMux's redirect to the clean path (http.Redirect, 301). */
function goRedirect(w: GoResponse, r: GoRequest, clean: string): void {
  const location = escapeLocation(clean) + (r.rawQuery ? `?${r.rawQuery}` : '');
  w.header.set('Location', location);
  const get = r.method === 'GET';
  if (get || r.method === 'HEAD') w.header.set('Content-Type', 'text/html; charset=utf-8');
  w.writeHeader(301);
  if (get) w.write(`<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n`);
  w.end();
}
const escapeLocation = (path: string) =>
  [...Buffer.from(path, 'latin1')].map((c) => (/[A-Za-z0-9\-_.~$&+,/:;=@]/.test(String.fromCharCode(c)) ? String.fromCharCode(c) : `%${c.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
const htmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c] as string);

/** net/http's parseRange (fs.go). */
export function parseGoRange(s: string, size: number): { ranges: Array<{ start: number; length: number }> } | { error: string } {
  if (s === '') return { ranges: [] };
  if (!s.startsWith('bytes=')) return { error: 'invalid range' };
  const ranges: Array<{ start: number; length: number }> = [];
  let noOverlap = false;
  const trim = (x: string) => x.replace(/^[ \t]+|[ \t]+$/g, '');
  const int = (x: string) => (/^[+-]?\d+$/.test(x) ? Number(x) : NaN);
  for (let ra of s.slice(6).split(',')) {
    ra = trim(ra);
    if (ra === '') continue;
    const dash = ra.indexOf('-');
    if (dash < 0) return { error: 'invalid range' };
    const start = trim(ra.slice(0, dash));
    const end = trim(ra.slice(dash + 1));
    if (start === '') {
      if (end === '' || end[0] === '-') return { error: 'invalid range' };
      let i = int(end);
      if (!(i >= 0)) return { error: 'invalid range' };
      if (i > size) i = size;
      ranges.push({ start: size - i, length: i });
    } else {
      const i = int(start);
      if (!(i >= 0)) return { error: 'invalid range' };
      if (i >= size) {
        noOverlap = true;
        continue;
      }
      if (end === '') ranges.push({ start: i, length: size - i });
      else {
        let e = int(end);
        if (Number.isNaN(e) || i > e) return { error: 'invalid range' };
        if (e >= size) e = size - 1;
        ranges.push({ start: i, length: e - i + 1 });
      }
    }
  }
  if (noOverlap && ranges.length === 0) return { error: 'invalid range: failed to overlap' };
  return { ranges };
}
