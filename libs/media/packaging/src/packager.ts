// The packager: RTMP ingest → one CMAF remux per stream → HLS + DASH over HTTP, with the player page,
// the stream catalogue API, UTCTiming, probes and metrics. apps/packager only reads config and calls this.
import { createServer, type Server } from 'node:http';
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
import {
  CLOCK_PATH,
  LIVE_PATH,
  parseMediaFile,
  STREAMS_API_PATH,
  streamUrls,
  type MediaFile,
  type Mode,
  type StreamList,
  type StreamSummary,
} from '@livelab/media-contract';
import { RtmpIngest, type PublishInfo } from './ingest/rtmp-ingest';
import type { RtmpLimits } from './ingest/rtmp-guard';
import { StreamPackager } from './remux/stream-packager';
import { CmafStore, type Segment, type Track } from './cmaf/cmaf-store';
import { CmafUploadServer } from './cmaf/cmaf-upload-server';
import { dashManifest } from './manifests/dash-manifest';
import { lastListedPart, mediaPlaylist, multivariantPlaylist } from './manifests/hls-playlists';
import { cacheControl, contentType } from './http/media-files';

export interface PackagerOptions {
  publishKey: string;
  logger: Logger;
  /** Extra routes mounted at / after the API (the player page). */
  pageRouter?: express.Router;
  /** Base URL players use to reach us, for absolute URLs in manifests; default: from the request's Host. */
  publicBaseUrl?: string;
  /** Publisher input stall timeout. */
  stallTimeoutMs?: number;
  registry?: Registry;
  /** Low-latency DASH target, ms (the MPD's ServiceDescription). */
  dashTargetLatencyMs?: number;
  /** What an RTMP peer may make us hold and for how long (DEFAULT_RTMP_LIMITS). */
  rtmpLimits?: Partial<RtmpLimits>;
}

const VIEWER_WINDOW_MS = 10_000;
/** How many parts beyond the playlist's last a player may ask for (RFC 8216bis: the Advance Part Limit). */
const ADVANCE_PART_LIMIT = 3;

export class Packager {
  readonly health = new HealthState();
  readonly registry: Registry;
  readonly app: express.Express;
  private readonly ingest: RtmpIngest;
  private readonly uploads: CmafUploadServer;
  private readonly streams = new Map<string, StreamPackager>();
  private readonly viewers = new Map<string, Map<string, number>>(); // stream → client → last seen
  private readonly ending = new Set<Promise<void>>(); // streams whose remux is stopping
  private http?: Server;
  private rtmpPort?: number;
  private stopping = false;
  private readonly m: {
    live: Gauge;
    bytesIn: Gauge;
    bytesOut: Counter;
    requests: Counter;
    restarts: Counter;
    kills: Counter;
    refused: Counter;
    publishes: Counter;
  };

  constructor(private readonly opts: PackagerOptions) {
    this.registry = opts.registry ?? createMetricsRegistry('packager');
    const r = [this.registry];
    const ingestBytes = () => this.ingest?.bytesIn() ?? 0;
    const rtmpConnections = () => this.ingest?.connections ?? 0;
    const rtmpHeld = () => this.ingest?.heldBytes() ?? 0;
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
      kills: new Counter({ name: 'livelab_packager_ffmpeg_kills_total', help: 'Remux ffmpegs that had to be SIGKILLed: q and SIGINT did not end them within the grace', registers: r }),
      refused: new Counter({
        name: 'livelab_packager_refused_total',
        help: 'Refused RTMP publishers and players (publish, play), connections closed for a protocol error or a timeout, and connections refused at a limit',
        labelNames: ['kind'],
        registers: r,
      }),
      publishes: new Counter({ name: 'livelab_packager_publishes_total', help: 'Accepted RTMP publishes', registers: r }),
    };
    new Gauge({
      name: 'livelab_packager_rtmp_connections',
      help: 'Open RTMP connections (publishers, remux reads, and not yet authorised peers)',
      registers: r,
      collect() {
        this.set(rtmpConnections());
      },
    });
    new Gauge({
      name: 'livelab_packager_rtmp_held_bytes',
      help: 'Bytes RTMP connections hold in unfinished messages and handshakes',
      registers: r,
      collect() {
        this.set(rtmpHeld());
      },
    });
    this.uploads = new CmafUploadServer(opts.logger);
    this.ingest = new RtmpIngest({ publishKey: opts.publishKey, logger: opts.logger, stallTimeoutMs: opts.stallTimeoutMs, limits: opts.rtmpLimits });
    this.ingest.on('publish', (p: PublishInfo) => void this.onPublish(p));
    this.ingest.on('unpublish', (name: string) => void this.endStream(name));
    this.ingest.on('refused', (r: { kind: string }) => this.m.refused.inc({ kind: r.kind }));
    this.health.addReadinessCheck('rtmp', () => this.ingest.listening || 'RTMP not listening');
    this.app = this.buildApp();
  }

  /** Start RTMP and HTTP (port 0 = ephemeral); resolves with the bound ports. */
  async start(ports: { rtmpPort: number; httpPort: number; host?: string }): Promise<{ rtmpPort: number; httpPort: number }> {
    await this.uploads.start();
    this.http = createServer(this.app);
    this.http.requestTimeout = 0; // long-lived media responses share keep-alive sockets
    this.http.keepAliveTimeout = 30_000;
    const httpPort = await listen(this.http, ports.httpPort, ports.host);
    this.rtmpPort = await this.ingest.start(ports.rtmpPort, ports.host);
    this.opts.logger.info({ rtmpPort: this.rtmpPort, httpPort }, 'packager listening');
    return { rtmpPort: this.rtmpPort, httpPort };
  }

  /** SIGTERM: not ready, stop RTMP, stop every remux and remove its files, drain HTTP. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.health.setDraining();
    await this.ingest.stop();
    await Promise.all([...this.streams.keys()].map((n) => this.endStream(n)));
    // Stopping the ingest ended every publish, which started those streams' stops: wait for their remuxes.
    await Promise.all([...this.ending]);
    await this.uploads.stop();
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
        urls: streamUrls(s.name),
        viewers: this.viewerCount(s.name),
        storeBytes: s.store.bytes(),
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async onPublish(p: PublishInfo): Promise<void> {
    if (this.stopping) return;
    await this.endStream(p.name); // a leftover from an earlier publish of the same name
    this.m.publishes.inc();
    // Segment numbers count seconds from the publish, so a republished name never reuses a cached URL.
    const store = new CmafStore({ firstNumber: Math.floor(p.since.getTime() / 1000) });
    const stream = new StreamPackager({
      name: p.name,
      input: this.ingest.playUrl(p.name),
      uploadBaseUrl: this.uploads.register(p.name, store),
      store,
      logger: this.opts.logger.child({ stream: p.name }),
    });
    stream.on('live', () => this.updateLiveGauge());
    stream.on('restart', () => this.m.restarts.inc({ stream: p.name }));
    stream.on('killed', () => this.m.kills.inc());
    this.streams.set(p.name, stream);
    stream.start();
  }

  private async endStream(name: string): Promise<void> {
    const s = this.streams.get(name);
    if (!s) return;
    this.streams.delete(name); // offline at once; files go as soon as ffmpeg has stopped
    this.viewers.delete(name);
    this.updateLiveGauge();
    const done = s.stop().then(() => this.uploads.unregister(name, s.store));
    this.ending.add(done);
    try {
      await done;
    } finally {
      this.ending.delete(done);
    }
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
    app.use([LIVE_PATH, '/api', CLOCK_PATH], cors);

    app.get(CLOCK_PATH, (_req, res) => {
      res.set('Cache-Control', 'no-store').type('text/plain').send(new Date().toISOString());
    });

    app.get(STREAMS_API_PATH, (_req, res) => {
      const body: StreamList = { streams: this.listStreams() };
      res.set('Cache-Control', 'no-store').json(body);
    });

    app.get(`${LIVE_PATH}/:stream/:file`, (req, res) => void this.serveMedia(req, res));
    app.all(`${LIVE_PATH}/{*rest}`, (_req, res) => {
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
    const f = parseMediaFile(String(req.params['file']));
    const s = this.streams.get(stream);
    const fail = (status: number, error: string) => {
      this.m.requests.inc({ kind: f?.kind ?? 'invalid', status: String(status) });
      if (!res.headersSent) res.status(status).set('Cache-Control', 'no-store').json({ error });
    };
    if (!f) return fail(400, 'not a media file name');
    if (!s || s.state === 'ended') return fail(404, `stream "${stream}" is not live`);
    const tl = s.timeline;
    const track = f.track === undefined ? undefined : s.store.track(f.track);
    if (f.track !== undefined && !track?.info) return fail(404, `stream "${stream}" has no track ${f.track}`);
    const send = (body: Buffer | string) => {
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      res.status(200).set({ 'Content-Type': contentType(f.kind), 'Cache-Control': cacheControl(f.kind), 'Content-Length': String(buf.length) });
      this.count(f.kind, buf.length);
      res.end(req.method === 'HEAD' ? undefined : buf);
    };
    if (f.kind === 'init' || f.kind === 'segment' || f.kind === 'part') this.noteViewer(stream, req);
    switch (f.kind) {
      case 'init':
        return send(track?.init as Buffer);
      case 'part':
        return this.servePart(req, res, s, f, send, fail);
      case 'segment':
        return this.serveSegment(req, res, s, f, fail);
    }
    if (!tl) return fail(404, `stream "${stream}" is starting`);
    const mode = f.mode as Mode;
    if (f.kind === 'hls-multivariant') return send(multivariantPlaylist(s.store.readyTracks(), mode));
    if (f.kind === 'dash-manifest') {
      return send(
        dashManifest(s.store.readyTracks(), tl, {
          mode,
          utcTimingUrl: `${this.baseUrl(req)}${CLOCK_PATH}`,
          chunkSeconds: s.chunkSeconds,
          targetLatencyMs: this.opts.dashTargetLatencyMs,
        }),
      );
    }
    // An HLS media playlist, maybe a blocking reload (RFC 8216bis §6.2.5.2).
    const t = track as Track;
    const msnQ = req.query['_HLS_msn'];
    const partQ = req.query['_HLS_part'];
    if (partQ !== undefined && msnQ === undefined) return fail(400, '_HLS_part needs _HLS_msn');
    if (msnQ !== undefined) {
      if (typeof msnQ !== 'string' || !/^\d{1,12}$/.test(msnQ)) return fail(400, '_HLS_msn must be a non-negative integer');
      if (partQ !== undefined && (typeof partQ !== 'string' || !/^\d{1,4}$/.test(partQ))) return fail(400, '_HLS_part must be a non-negative integer');
      const msn = Number(msnQ);
      const part = mode === 'll' && partQ !== undefined ? Number(partQ) : undefined;
      const last = lastListedPart(t);
      const lastMsn = mode === 'll' ? last.msn : (t.lastComplete()?.number ?? -1);
      if (msn > lastMsn + 2) return fail(400, `_HLS_msn=${msn} is too far in the future (the playlist ends at ${lastMsn})`);
      if (part !== undefined && msn === last.msn && part > last.part + ADVANCE_PART_LIMIT) {
        return fail(400, `_HLS_part=${part} is too far in the future (the playlist ends at part ${last.part} of ${last.msn})`);
      }
      const ready =
        part === undefined
          ? () => (t.lastComplete()?.number ?? -1) >= msn
          : () => {
              const l = lastListedPart(t);
              return l.msn > msn || (l.msn === msn && l.part >= part);
            };
      if (!(await s.store.waitFor(ready, 3 * tl.targetDuration * 1000))) {
        return s.store.isClosed ? fail(404, `stream "${stream}" ended`) : fail(503, `segment ${msn}${part === undefined ? '' : ` part ${part}`} not available yet; retry`);
      }
    }
    return send(mediaPlaylist(t, tl, mode));
  }

  /** A part: served when complete; the hinted part (and a few after it) is waited for. */
  private async servePart(req: Request, res: Response, s: StreamPackager, f: MediaFile, send: (b: Buffer) => void, fail: (status: number, error: string) => void) {
    const t = s.store.track(f.track as number) as Track;
    const n = f.number as number;
    const p = f.part as number;
    const settled = () => {
      const seg = t.segments.get(n);
      return !!seg && (seg.parts.length > p || seg.complete);
    };
    if (!settled()) {
      const last = lastListedPart(t);
      const ahead = n === last.msn ? p - last.part : n === last.msn + 1 ? p + 1 : Infinity;
      if (ahead > ADVANCE_PART_LIMIT) return fail(404, 'no such part');
      await s.store.waitFor(settled, 3000);
    }
    const part = t.segments.get(n)?.parts[p];
    if (!part) return fail(404, 'no such part');
    send(part.data);
  }

  /**
   * A segment: a complete one at once; one being made is sent with chunked transfer as its parts arrive (LL-DASH
   * players ask for it as soon as its first chunk is due); the next one is waited for briefly.
   */
  private async serveSegment(req: Request, res: Response, s: StreamPackager, f: MediaFile, fail: (status: number, error: string) => void) {
    const t = s.store.track(f.track as number) as Track;
    const n = f.number as number;
    if (!t.segments.has(n)) {
      const newest = t.inProgress()?.number ?? t.lastComplete()?.number ?? -Infinity;
      if (n > newest && n <= newest + 2) await s.store.waitFor(() => t.segments.has(n), 3000);
    }
    const seg: Segment | undefined = t.segments.get(n);
    if (!seg) return fail(404, 'no such segment');
    res.status(200).set({ 'Content-Type': contentType('segment'), 'Cache-Control': cacheControl('segment') });
    if (seg.complete) {
      const chunks = seg.chunks();
      const length = chunks.reduce((a, c) => a + c.length, 0);
      res.set('Content-Length', String(length));
      this.count('segment', length);
      if (req.method === 'HEAD') return void res.end();
      for (const c of chunks) res.write(c);
      return void res.end();
    }
    if (req.method === 'HEAD') return void res.end();
    let sent = 0;
    let bytes = 0;
    res.on('close', () => (sent = Infinity));
    while (sent !== Infinity) {
      while (sent < seg.parts.length) {
        const data = seg.parts[sent++].data;
        bytes += data.length;
        res.write(data);
      }
      if (seg.complete) break;
      if (!(await s.store.waitFor(() => seg.parts.length > sent || seg.complete, 5000))) break;
    }
    if (sent !== Infinity) {
      for (const c of seg.tail) {
        bytes += c.length;
        res.write(c);
      }
    }
    this.count('segment', bytes);
    res.end();
  }

  private count(kind: string, bytes: number) {
    this.m.requests.inc({ kind, status: '200' });
    this.m.bytesOut.inc({ kind }, bytes);
  }

  /** For metrics scrapes and tests. */
  ingestBytes(): number {
    return this.ingest.bytesIn();
  }

}
