// The packager: RTMP ingest → one CMAF remux per stream → HLS + DASH over HTTP, with the player page,
// the stream catalogue API, UTCTiming, probes and metrics. apps/packager only reads config and calls this.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { access, constants, lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  closeServer,
  Counter,
  createMetricsRegistry,
  Gauge,
  HealthState,
  listen,
  opsRouter,
  type Logger,
  type Registry,
} from '@livelab/service-kit';
import { RTMP_APP, RtmpIngest, type PublishInfo } from './rtmp-ingest';
import { StreamPackager } from './stream-packager';
import { cacheControl, contentType, mediaKind, playlistLastMsn, rewriteMediaPlaylist, rewriteMpd, segmentNumber } from './media-files';

export interface PackagerOptions {
  mediaDir: string;
  publishKey: string;
  logger: Logger;
  /** Extra routes mounted at / after the API (the player page). */
  pageRouter?: express.Router;
  /** Base URL players use to reach us, for absolute URLs in manifests; default: from the request's Host. */
  publicBaseUrl?: string;
  /** Publisher input stall timeout. */
  stallTimeoutMs?: number;
  registry?: Registry;
}

export interface StreamSummary {
  name: string;
  live: true;
  since: string;
  video: { codec?: string; width?: number; height?: number; fps?: number; bitrateKbps?: number };
  audio: { codec?: string; sampleRate?: number; channels?: number };
  urls: { hls: string; dash: string };
  viewers: number;
}

const VIEWER_WINDOW_MS = 10_000;

export class Packager {
  readonly health = new HealthState();
  readonly registry: Registry;
  readonly app: express.Express;
  private readonly ingest: RtmpIngest;
  private readonly streams = new Map<string, StreamPackager>();
  private readonly viewers = new Map<string, Map<string, number>>(); // stream → client → last seen
  private http?: Server;
  private rtmpPort?: number;
  private stopping = false;
  private readonly m: {
    live: Gauge;
    bytesIn: Gauge;
    bytesOut: Counter;
    requests: Counter;
    restarts: Counter;
    refused: Counter;
    publishes: Counter;
  };

  constructor(private readonly opts: PackagerOptions) {
    this.registry = opts.registry ?? createMetricsRegistry('packager');
    const r = [this.registry];
    const ingestBytes = () => this.ingest?.bytesIn() ?? 0;
    this.m = {
      live: new Gauge({ name: 'livelab_packager_live_streams', help: 'Streams currently playable', registers: r }),
      bytesIn: new Gauge({
        name: 'livelab_packager_ingest_bytes',
        help: 'Bytes received from the publishers currently connected',
        registers: r,
        collect() {
          this.set(ingestBytes());
        },
      }),
      bytesOut: new Counter({ name: 'livelab_packager_http_bytes_out_total', help: 'Media bytes sent to players', labelNames: ['kind'], registers: r }),
      requests: new Counter({ name: 'livelab_packager_media_requests_total', help: 'Media requests by kind and status', labelNames: ['kind', 'status'], registers: r }),
      restarts: new Counter({ name: 'livelab_packager_ffmpeg_restarts_total', help: 'Remux ffmpeg restarts', labelNames: ['stream'], registers: r }),
      refused: new Counter({ name: 'livelab_packager_refused_total', help: 'Refused RTMP publishers and players', labelNames: ['kind'], registers: r }),
      publishes: new Counter({ name: 'livelab_packager_publishes_total', help: 'Accepted RTMP publishes', registers: r }),
    };
    this.ingest = new RtmpIngest({ publishKey: opts.publishKey, logger: opts.logger, stallTimeoutMs: opts.stallTimeoutMs });
    this.ingest.on('publish', (p: PublishInfo) => void this.onPublish(p));
    this.ingest.on('unpublish', (name: string) => void this.endStream(name));
    this.ingest.on('refused', (r: { kind: string }) => this.m.refused.inc({ kind: r.kind }));
    this.health.addReadinessCheck('rtmp', () => this.ingest.listening || 'RTMP not listening');
    this.health.addReadinessCheck('media-dir', async () => {
      await access(this.opts.mediaDir, constants.W_OK);
      return true;
    });
    this.app = this.buildApp();
  }

  /** Start RTMP and HTTP (port 0 = ephemeral); resolves with the bound ports. */
  async start(ports: { rtmpPort: number; httpPort: number; host?: string }): Promise<{ rtmpPort: number; httpPort: number }> {
    await mkdir(this.opts.mediaDir, { recursive: true });
    this.http = createServer(this.app);
    this.http.requestTimeout = 0; // long-lived media responses share keep-alive sockets
    this.http.keepAliveTimeout = 30_000;
    const httpPort = await listen(this.http, ports.httpPort, ports.host);
    this.rtmpPort = await this.ingest.start(ports.rtmpPort, ports.host);
    this.opts.logger.info({ rtmpPort: this.rtmpPort, httpPort, mediaDir: this.opts.mediaDir }, 'packager listening');
    return { rtmpPort: this.rtmpPort, httpPort };
  }

  /** SIGTERM: not ready, stop RTMP, stop every remux and remove its files, drain HTTP. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.health.setDraining();
    await this.ingest.stop();
    await Promise.all([...this.streams.keys()].map((n) => this.endStream(n)));
    if (this.http) await closeServer(this.http, 3000);
  }

  /** The playable streams, as /api/streams lists them. */
  listStreams(): StreamSummary[] {
    const out: StreamSummary[] = [];
    for (const s of this.streams.values()) {
      if (s.state !== 'live') continue;
      const info = this.ingest.streamInfo(s.name);
      out.push({
        name: s.name,
        live: true,
        since: (s.liveSince ?? s.since).toISOString(),
        video: { codec: info?.videoCodec, width: info?.width, height: info?.height, fps: info?.fps, bitrateKbps: info?.videoKbps },
        audio: { codec: info?.audioCodec, sampleRate: info?.sampleRate, channels: info?.channels },
        urls: { hls: `/live/${s.name}/master.m3u8`, dash: `/live/${s.name}/manifest.mpd` },
        viewers: this.viewerCount(s.name),
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async onPublish(p: PublishInfo): Promise<void> {
    if (this.stopping) return;
    await this.endStream(p.name); // a leftover from an earlier publish of the same name
    this.m.publishes.inc();
    const stream = new StreamPackager({
      name: p.name,
      input: `rtmp://127.0.0.1:${this.rtmpPort}/${RTMP_APP}/${p.name}`,
      dir: join(this.opts.mediaDir, p.name),
      publishedAt: p.since,
      logger: this.opts.logger.child({ stream: p.name }),
      utcTimingUrl: '/time',
    });
    stream.on('live', () => this.updateLiveGauge());
    stream.on('restart', () => this.m.restarts.inc({ stream: p.name }));
    this.streams.set(p.name, stream);
    await stream.start();
  }

  private async endStream(name: string): Promise<void> {
    const s = this.streams.get(name);
    if (!s) return;
    this.streams.delete(name); // offline at once; files go as soon as ffmpeg has stopped
    this.viewers.delete(name);
    this.updateLiveGauge();
    await s.stop();
  }

  private updateLiveGauge() {
    this.m.live.set([...this.streams.values()].filter((s) => s.state === 'live').length);
  }

  private noteViewer(stream: string, req: Request) {
    let m = this.viewers.get(stream);
    if (!m) this.viewers.set(stream, (m = new Map()));
    m.set(`${req.ip}|${req.get('user-agent') ?? ''}`, Date.now());
  }

  private viewerCount(stream: string): number {
    const m = this.viewers.get(stream);
    if (!m) return 0;
    const cutoff = Date.now() - VIEWER_WINDOW_MS;
    for (const [k, t] of m) if (t < cutoff) m.delete(k);
    return m.size;
  }

  private baseUrl(req: Request): string {
    return this.opts.publicBaseUrl ?? `${req.protocol}://${req.get('host')}`;
  }

  private buildApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', 'loopback');
    app.set('etag', false);
    app.use(opsRouter(this.health, this.registry));

    const cors = (req: Request, res: Response, next: NextFunction) => {
      res.set('Access-Control-Allow-Origin', '*');
      res.set('Access-Control-Expose-Headers', 'Content-Length, Date');
      if (req.method === 'OPTIONS') {
        res.set('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
        res.set('Access-Control-Allow-Headers', req.get('access-control-request-headers') ?? 'Range');
        res.set('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
      next();
    };
    app.use(['/live', '/api', '/time'], cors);

    app.get('/time', (_req, res) => {
      res.set('Cache-Control', 'no-store').type('text/plain').send(new Date().toISOString());
    });

    app.get('/api/streams', (_req, res) => {
      res.set('Cache-Control', 'no-store').json({ streams: this.listStreams() });
    });

    app.get('/live/:stream/:file', (req, res) => void this.serveMedia(req, res));
    app.all('/live/{*rest}', (_req, res) => {
      res.status(404).json({ error: 'not found: media URLs are /live/<stream>/<file>' });
    });

    if (this.opts.pageRouter) app.use(this.opts.pageRouter);
    app.use((_req, res) => {
      res.status(404).json({ error: 'not found' });
    });
    return app;
  }

  private async serveMedia(req: Request, res: Response): Promise<void> {
    const stream = String(req.params['stream']);
    const file = String(req.params['file']);
    const kind = mediaKind(file);
    const s = this.streams.get(stream);
    const fail = (status: number, error: string) => {
      this.m.requests.inc({ kind: kind ?? 'invalid', status: String(status) });
      res.status(status).set('Cache-Control', 'no-store').json({ error });
    };
    if (!kind) return fail(400, 'not a media file name');
    if (!s || s.state === 'ended') return fail(404, `stream "${stream}" is not live`);
    const path = join(this.opts.mediaDir, stream, file);
    // Blocking playlist reload: ?_HLS_msn=N answers once the playlist lists segment N.
    const msnParam = req.query['_HLS_msn'];
    if (kind === 'hls-manifest' && file.startsWith('media_') && msnParam !== undefined) {
      const msn = Number(msnParam);
      if (!/^\d+$/.test(String(msnParam))) return fail(400, '_HLS_msn must be a non-negative integer');
      const lastMsn = () => {
        try {
          return playlistLastMsn(readFileSync(path, 'utf8'));
        } catch {
          return -1;
        }
      };
      if (msn > Math.max(lastMsn(), s.latestMsn) + 2) return fail(400, `_HLS_msn=${msn} is too far in the future`);
      if (!(await s.waitUntil(() => lastMsn() >= msn, 3000))) return fail(503, `segment ${msn} not available yet; retry`);
    }
    // A segment requested just before it is complete (DASH players compute availability from the clock) waits
    // for it briefly instead of failing.
    const num = segmentNumber(file);
    if (num !== undefined && !existsSync(path) && num <= s.latestMsn + 2 && num > s.latestMsn - 1) {
      await s.waitUntil(() => existsSync(path), 2000);
    }
    try {
      const st = await lstat(path);
      if (!st.isFile()) return fail(404, 'not found');
      res.status(200);
      res.set({ 'Content-Type': contentType(kind), 'Cache-Control': cacheControl(kind) });
      if (kind === 'dash-manifest' || (kind === 'hls-manifest' && file.startsWith('media_'))) {
        const text = await readFile(path, 'utf8');
        const body = Buffer.from(
          kind === 'dash-manifest' ? rewriteMpd(text, this.baseUrl(req), s.availabilityStartOverride) : rewriteMediaPlaylist(text),
        );
        res.set('Content-Length', String(body.length));
        this.count(kind, body.length);
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (kind === 'segment' || kind === 'init') this.noteViewer(stream, req);
      res.set('Content-Length', String(st.size));
      this.count(kind, st.size);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const rs = createReadStream(path);
      rs.on('error', () => res.destroy());
      rs.pipe(res);
    } catch {
      fail(404, 'not found');
    }
  }

  private count(kind: string, bytes: number) {
    this.m.requests.inc({ kind, status: '200' });
    this.m.bytesOut.inc({ kind }, bytes);
  }

  /** For metrics scrapes and tests. */
  ingestBytes(): number {
    return this.ingest.bytesIn();
  }

  /** Remove the media dir (for tests and shutdown of a temp dir). */
  async removeMediaDir(): Promise<void> {
    await rm(this.opts.mediaDir, { recursive: true, force: true });
  }
}
