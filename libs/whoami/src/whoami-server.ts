// The whoami HTTP(S) server: traefik/whoami's endpoints plus livelab's probes and metrics.
// `/bench` is answered before the express router (it is the benchmark of the server itself).
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import express, { type Request, type Response } from 'express';
import type { WebSocketServer } from 'ws';
import { Counter, createMetricsRegistry, HealthState, opsRouter, type Logger, type Registry } from '@livelab/service-kit';
import { formatWhoamiJson, formatWhoamiText, type Identity } from './request-echo';
import { goLogTime, goRemoteAddr, parseGoBool, parseGoDuration } from './go-compat';
import { DATA_UNITS, dataLength, dataStream } from './data-pattern';
import { attachWebSocketEcho, DEFAULT_WS_MAX_PAYLOAD } from './websocket-echo';

export interface WhoamiConfig {
  identity: Identity;
  /** Allow ?env=true (the environment holds secrets: off unless asked for). */
  allowEnv: boolean;
  /** Largest /data body, bytes. */
  dataMaxBytes: number;
  verbose: boolean;
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

/** Largest wait honoured by ?wait= (a DoS guard; traefik has none). */
const MAX_WAIT_MS = 60_000;

function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error(`request body over ${limit} bytes`), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Paths express routes; every other path is the request echo, served without the router (the hot path). */
const ROUTED = new Set(['/api', '/data', '/health', '/echo', '/healthz', '/readyz', '/metrics']);

const ENV_REFUSED =
  'env=true is disabled: the environment holds secrets. Start whoami with --allow-env (WHOAMI_ALLOW_ENV=true) to allow it.';

/** `/` and every unrouted path: wait if asked, refuse env unless allowed, echo the request. */
export async function serveEcho(config: WhoamiConfig, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const waitParam = query.get('wait');
  const wait = waitParam !== null ? parseGoDuration(waitParam) : null;
  if (wait !== null && wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, MAX_WAIT_MS)));
  const wantsEnv = parseGoBool(query.get('env') ?? undefined) === true;
  if (wantsEnv && !config.allowEnv) {
    const body = `${ENV_REFUSED}\n`;
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (e) {
    const msg = `${(e as Error).message}\n`;
    res.writeHead((e as { status?: number }).status ?? 400, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(msg);
    return;
  }
  const text = formatWhoamiText(config.identity, req, body, wantsEnv ? (config.env ?? process.env) : undefined);
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': text.length });
  res.end(text);
}

export function createWhoamiApp(config: WhoamiConfig, health: HealthState, registry: Registry): express.Express {
  const env = config.env ?? process.env;
  const requests = new Counter({ name: 'livelab_whoami_requests_total', help: 'Requests by route', labelNames: ['route'], registers: [registry] });
  let healthStatus = 200;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');

  if (config.verbose) {
    const out = config.accessLog ?? ((line: string) => process.stdout.write(`${line}\n`));
    app.use((req, res, next) => {
      res.on('finish', () =>
        out(`${goRemoteAddr(req.socket.remoteAddress, req.socket.remotePort)} - - [${goLogTime()}] "${req.method} ${req.path} HTTP/${req.httpVersion}" - -`),
      );
      next();
    });
  }
  app.use(opsRouter(health, registry));

  const envRefused = (res: Response, json: boolean) => {
    res.status(403);
    if (json) res.json({ error: ENV_REFUSED });
    else res.type('text/plain').send(`${ENV_REFUSED}\n`);
  };
  const wantsEnv = (req: Request) => parseGoBool(req.query['env'] as string | undefined) === true;

  app.all('/api', (req, res) => {
    requests.inc({ route: 'api' });
    res.set('Access-Control-Allow-Origin', config.allowedOrigins);
    res.set('Access-Control-Allow-Methods', '*');
    if (wantsEnv(req) && !config.allowEnv) return envRefused(res, true);
    res
      .type('application/json')
      .send(formatWhoamiJson(config.identity, req, wantsEnv(req) ? env : undefined));
  });

  app.all('/data', (req, res) => {
    requests.inc({ route: 'data' });
    let size = Number.parseInt(String(req.query['size'] ?? ''), 10);
    if (!/^[-+]?\d+$/.test(String(req.query['size'] ?? ''))) size = 1;
    if (size < 0) size = 0;
    const unit = String(req.query['unit'] ?? '').toLowerCase();
    if (DATA_UNITS[unit]) size *= DATA_UNITS[unit];
    if (!Number.isSafeInteger(size) || size > config.dataMaxBytes) {
      res.status(400).type('text/plain').send(`size ${req.query['size']}${unit ? ` ${unit}` : ''} is over the maximum of ${config.dataMaxBytes} bytes (--data-max / WHOAMI_DATA_MAX)\n`);
      return;
    }
    const total = dataLength(size);
    const attachment = parseGoBool(req.query['attachment'] as string | undefined) === true;
    res.type('text/plain; charset=utf-8');
    let start = 0;
    let end = total - 1;
    if (attachment) {
      res.set('Content-Disposition', 'Attachment');
      res.set('Accept-Ranges', 'bytes');
      res.set('Last-Modified', new Date().toUTCString());
      const range = req.get('range');
      if (range && total > 0) {
        const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
        if (m && (m[1] || m[2])) {
          if (m[1]) {
            start = Number(m[1]);
            end = m[2] ? Math.min(Number(m[2]), total - 1) : total - 1;
          } else {
            start = Math.max(0, total - Number(m[2]));
          }
          if (start > end || start >= total) {
            res.status(416).set('Content-Range', `bytes */${total}`).end();
            return;
          }
          res.status(206).set('Content-Range', `bytes ${start}-${end}/${total}`);
        }
      }
    }
    res.set('Content-Length', String(Math.max(0, end - start + 1)));
    if (req.method === 'HEAD' || total === 0) {
      res.end();
      return;
    }
    const stream = dataStream(total, start, end);
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  });

  app.all('/health', async (req, res) => {
    requests.inc({ route: 'health' });
    if (req.method === 'POST') {
      const body = (await readBody(req, 4096)).toString('utf8').trim();
      const code = /^-?\d+$/.test(body) ? Number(body) : NaN;
      // 1xx is not a final answer and Node/Go refuse codes outside 100–999: only 200–599 can be stored.
      if (!Number.isInteger(code) || code < 200 || code > 599) {
        res.status(400).type('text/plain').send(`health status must be a JSON integer from 200 to 599, got ${JSON.stringify(body.slice(0, 50))}\n`);
        return;
      }
      healthStatus = code;
      config.logger.info({ statusCode: code }, 'health check status code updated');
      res.status(200).end();
      return;
    }
    res.status(healthStatus).end();
  });

  // Plain HTTP to the WebSocket endpoint (upgrades are handled on the server's 'upgrade' event).
  app.all('/echo', (_req, res) => {
    res.status(400).type('text/plain').send('Bad Request\n');
  });

  // `/` and every other path: the request echo (normally answered before the router; see createWhoamiServer).
  app.use((req, res) => {
    requests.inc({ route: 'whoami' });
    void serveEcho(config, req, res, new URL(req.url, 'http://x').searchParams);
  });
  return app;
}

export interface WhoamiServer {
  server: Server;
  health: HealthState;
  registry: Registry;
  websockets: WebSocketServer;
}

/** The HTTP (or HTTPS, mutual TLS with a CA) server. Listen on it yourself. */
export function createWhoamiServer(config: WhoamiConfig): WhoamiServer {
  const health = new HealthState();
  const registry = config.registry ?? createMetricsRegistry('whoami');
  const app = createWhoamiApp(config, health, registry);
  const bench = new Counter({ name: 'livelab_whoami_bench_requests_total', help: '/bench requests', registers: [registry] });
  const echoes = new Counter({ name: 'livelab_whoami_echo_requests_total', help: 'Request echoes (/ and other paths)', registers: [registry] });
  const accessLog = config.verbose ? (config.accessLog ?? ((line: string) => process.stdout.write(`${line}\n`))) : undefined;
  // The hot paths skip the express router (measured in docs/benchmarks.md: the router cost ~4× on `/`).
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === '/bench') {
      bench.inc();
      res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'keep-alive', 'Content-Length': '1' });
      res.end('1');
    } else if (!ROUTED.has(path)) {
      echoes.inc();
      void serveEcho(config, req, res, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
    } else {
      app(req, res);
      return;
    }
    if (accessLog)
      res.on('finish', () =>
        accessLog(`${goRemoteAddr(req.socket.remoteAddress, req.socket.remotePort)} - - [${goLogTime()}] "${req.method} ${path} HTTP/${req.httpVersion}" - -`),
      );
  };
  const server = config.tls
    ? createHttpsServer(
        {
          cert: readFileSync(config.tls.cert),
          key: readFileSync(config.tls.key),
          minVersion: 'TLSv1.2',
          ...(config.tls.ca ? { ca: readFileSync(config.tls.ca), requestCert: true, rejectUnauthorized: true } : {}),
        },
        handler,
      )
    : createHttpServer(handler);

  // Node's HTTP server handles errors on the sockets it reads; this listener covers a socket once it is upgraded.
  server.on('connection', (socket) => socket.on('error', ignoreError));
  const websockets = attachWebSocketEcho(server as Server, {
    maxPayload: config.wsMaxPayloadBytes ?? DEFAULT_WS_MAX_PAYLOAD,
    logger: config.logger,
    registry,
  });
  return { server: server as Server, health, registry, websockets };
}
