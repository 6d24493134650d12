// The "Node's own floor" arm of the viewer-load benchmark (issue 16): a bare node:http server that answers the same
// viewers with the same bytes as the packager, doing the least a Node server can per request — a Map lookup and one
// writeHead + end of a Buffer it already holds. It gets the bytes from the packager: each distinct URL (a playlist
// without a query, a blocking reload `?_HLS_msn=&_HLS_part=`, a part, a segment, the MPD) is fetched upstream once,
// by the first viewer asking for it; every other viewer asking for the same URL waits on that one fetch and is
// answered from its Buffer (a segment still being made is streamed chunk by chunk to all its readers, as the
// packager does). So the request pattern, the bodies and their timing are the packager's, and what the floor spends
// per request is node:http's own cost plus a Map lookup: the packager's CPU per request minus this is what is ours.
// Hand-written on purpose: a proxy library (http-proxy, undici's cache) would add its own per-request work to the
// figure this exists to measure.
// Run by tools/bench/viewer-load.ts: node dist/tools/bench/node-floor.js <port> <upstream port>.
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

const port = Number(process.argv[2] ?? 18593);
const upstreamPort = Number(process.argv[3] ?? 18590);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** How long an answer is kept after it completed: playlists without a query are the live edge, the rest stay right. */
const EDGE_TTL_MS = 100;
const KEEP_TTL_MS = 10_000;
const KEPT_HEADERS = ['content-type', 'cache-control', 'access-control-allow-origin', 'access-control-expose-headers'];

interface Entry {
  status?: number;
  /** Flat name/value list, without Content-Length. */
  headers?: string[];
  /** No Content-Length upstream: a body sent as it is made (chunked). */
  chunked?: boolean;
  chunks: Buffer[];
  body?: Buffer;
  doneAt?: number;
  ttlMs: number;
  /** Waiting for the head (nothing written yet), or reading a body in progress (head and chunks so far written). */
  waiting: ServerResponse[];
  readers: Set<ServerResponse>;
}

const cache = new Map<string, Entry>();

function fetchUpstream(url: string, e: Entry): void {
  const req = request({ host: '127.0.0.1', port: upstreamPort, path: url, agent }, (up: IncomingMessage) => {
    e.status = up.statusCode ?? 502;
    const h: string[] = [];
    for (const name of KEPT_HEADERS) {
      const v = up.headers[name];
      if (typeof v === 'string') h.push(name, v);
    }
    e.headers = h;
    const chunked = (e.chunked = up.headers['content-length'] === undefined);
    if (chunked) {
      for (const res of e.waiting) {
        res.writeHead(e.status, h);
        e.readers.add(res);
      }
      e.waiting = [];
    }
    up.on('data', (c: Buffer) => {
      e.chunks.push(c);
      for (const r of e.readers) r.write(c);
    });
    up.on('end', () => {
      e.body = e.chunks.length === 1 ? e.chunks[0] : Buffer.concat(e.chunks);
      e.doneAt = Date.now();
      if (e.status !== 200) e.ttlMs = Math.min(e.ttlMs, 1000);
      for (const r of e.readers) r.end();
      e.readers.clear();
      for (const res of e.waiting) sendWhole(res, e);
      e.waiting = [];
    });
    up.on('error', () => fail(e));
  });
  req.on('error', () => fail(e));
  req.end();
}

function fail(e: Entry): void {
  for (const r of [...e.waiting, ...e.readers]) r.destroy();
  e.waiting = [];
  e.readers.clear();
  e.doneAt = Date.now();
  e.ttlMs = 0;
}

function sendWhole(res: ServerResponse, e: Entry): void {
  const body = e.body as Buffer;
  res.writeHead(e.status as number, [...(e.headers as string[]), 'Content-Length', String(body.length)]);
  res.end(body);
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  let e = cache.get(url);
  if (e?.doneAt !== undefined && Date.now() - e.doneAt > e.ttlMs) e = undefined;
  if (e?.body) return sendWhole(res, e);
  if (e) {
    if (e.chunked && e.headers && e.status !== undefined) {
      // A body in progress (a segment being made): what came so far, then each chunk as it comes.
      res.writeHead(e.status, e.headers);
      for (const c of e.chunks) res.write(c);
      e.readers.add(res);
    } else e.waiting.push(res);
    res.once('close', () => e.readers.delete(res));
    return;
  }
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const ttlMs = q < 0 && !/\.m4s$/.test(path) ? EDGE_TTL_MS : KEEP_TTL_MS;
  const entry: Entry = { chunks: [], ttlMs, waiting: [res], readers: new Set() };
  cache.set(url, entry);
  res.once('close', () => entry.readers.delete(res));
  fetchUpstream(url, entry);
});
server.keepAliveTimeout = 60_000;
server.requestTimeout = 0;
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));

setInterval(() => {
  const now = Date.now();
  for (const [url, e] of cache) if (e.doneAt !== undefined && now - e.doneAt > e.ttlMs) cache.delete(url);
}, 1000).unref();
