// Where the remux ffmpegs upload their CMAF output: a loopback-only HTTP server (never the public port) taking
// PUT/POST of init segments and segments into each stream's CmafStore as the bytes arrive. Each packager process
// has a random token in the path, so nothing but its own children can write. ffmpeg ignores our status codes
// (FACTS.md), so a bad upload is logged and dropped, and the stream plays on.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMediaFile } from '@livelab/media-contract';
import { closeServer, type Logger } from '@livelab/service-kit';
import type { CmafStore } from './cmaf-store';

const MAX_INIT_BYTES = 1024 * 1024;
const MAX_MANIFEST_BYTES = 1024 * 1024;
/** How long a segment upload is held waiting for its track's init segment. */
const INIT_WAIT_MS = 3000;

export class CmafUploadServer {
  private readonly token = randomBytes(16).toString('hex');
  private readonly stores = new Map<string, CmafStore>();
  private server?: Server;
  private port = 0;
  /** Upload errors (malformed MP4, oversized), for metrics. */
  errors = 0;

  constructor(private readonly logger: Logger) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.requestTimeout = 0; // a segment upload lasts as long as the segment
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server, 1000);
  }

  /** The base URL a stream's remux uploads to. */
  register(stream: string, store: CmafStore): string {
    this.stores.set(stream, store);
    return `http://127.0.0.1:${this.port}/${this.token}/${encodeURIComponent(stream)}`;
  }

  unregister(stream: string, store: CmafStore): void {
    if (this.stores.get(stream) === store) this.stores.delete(stream);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const m = /^\/([0-9a-f]{32})\/([^/]+)\/([^/?]+)$/.exec(req.url ?? '');
    const done = (status: number) => {
      if (!res.headersSent) res.writeHead(status, { 'Content-Length': '0' }).end();
    };
    if (!m || m[1] !== this.token) {
      req.resume();
      return done(403);
    }
    const stream = decodeURIComponent(m[2]);
    const file = m[3];
    const store = this.stores.get(stream);
    if (req.method === 'DELETE') return done(204); // the store keeps its own window
    if (req.method !== 'PUT' && req.method !== 'POST') return done(405);
    if (!store) {
      req.resume();
      return done(404);
    }
    const log = this.logger.child({ stream, file });
    const media = parseMediaFile(file);
    if (media?.kind === 'init') {
      const track = media.track;
      collect(req, MAX_INIT_BYTES, (err, body) => {
        if (!err && body) {
          try {
            store.setInit(track, body);
          } catch (e) {
            err = e as Error;
          }
        }
        if (err) this.fail(log, err);
        done(err ? 400 : 201);
      });
      return;
    }
    if (media?.kind === 'segment') {
      const track = media.track;
      if (store.remuxTrack(track)?.info) return this.receiveSegment(req, done, log, store, track, media.number);
      // ffmpeg opens a track's first segment upload on a new connection while its init upload is still finishing
      // on another (measured: the segment's request line arrives ~1 ms before the init's last chunk), so the first
      // segment used to be refused. Hold it, unread (TCP back-pressure bounds what is buffered), until the init is
      // stored.
      req.pause();
      let gone = false;
      req.once('close', () => (gone = true));
      void store.waitFor(() => !!store.remuxTrack(track)?.info || gone, INIT_WAIT_MS).then(() => {
        if (gone) return;
        this.receiveSegment(req, done, log, store, track, media.number);
        req.resume();
      });
      return;
    }
    // ffmpeg's own manifests: we write our own from the store.
    collect(req, MAX_MANIFEST_BYTES, () => done(204));
  }

  /** Feed one segment upload into the store as its bytes arrive. */
  private receiveSegment(req: IncomingMessage, done: (status: number) => void, log: Logger, store: CmafStore, track: number, number: number): void {
    let sink: ReturnType<CmafStore['openSegment']>;
    try {
      sink = store.openSegment(track, number);
    } catch (e) {
      this.fail(log, e as Error);
      req.resume();
      return done(409);
    }
    let failed = false;
    req.on('data', (piece: Buffer) => {
      if (failed) return;
      try {
        sink.write(piece);
      } catch (e) {
        failed = true;
        this.fail(log, e as Error);
        sink.end();
        done(400);
        req.destroy();
      }
    });
    // A cut upload (ffmpeg killed) still completes the segment with the parts that arrived whole.
    req.on('close', () => sink.end());
    req.on('end', () => {
      sink.end();
      done(201);
    });
  }

  private fail(log: Logger, err: Error): void {
    this.errors++;
    log.warn({ err: err.message }, 'upload refused');
  }
}

function collect(req: IncomingMessage, max: number, cb: (err: Error | undefined, body?: Buffer) => void): void {
  const parts: Buffer[] = [];
  let n = 0;
  let over = false;
  req.on('data', (d: Buffer) => {
    n += d.length;
    if (n > max) over = true;
    else parts.push(d);
  });
  req.on('end', () => cb(over ? new Error(`upload larger than ${max} bytes`) : undefined, Buffer.concat(parts)));
  req.on('error', (e) => cb(e));
}
