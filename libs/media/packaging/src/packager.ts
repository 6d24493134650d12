// The packager: RTMP ingest → one CMAF remux per stream → HLS + DASH over HTTP, with the player page,
// the stream catalogue API, UTCTiming, probes and metrics. apps/packager only reads config and calls this.
// This file composes the parts and runs their lifecycle: ingest/ (RTMP), remux/ (one ffmpeg per stream), cmaf/
// (upload server and store), manifests/ (HLS, DASH), http/ (the app, media routes, blocking reload, CORS, viewers),
// metrics.ts.
import { createServer, type RequestListener, type Server } from 'node:http';
import type express from 'express';
import { closeServer, createMetricsRegistry, HealthState, limitConnections, listen, ProbeThread, type ConnectionLimits, type Logger, type Registry } from '@livelab/service-kit';
import { DVR_WINDOW_S, dvrWindowSegments, parsePublishName, streamUrls, type Rung, type RungSummary, type StreamSummary } from '@livelab/media-contract';
import { warmUpFfmpeg } from '@livelab/media-ffmpeg';
import { RtmpIngest, type PublishInfo } from './ingest/rtmp-ingest';
import type { RtmpLimits } from './ingest/rtmp-guard';
import { StreamPackager } from './remux/stream-packager';
import { CmafStore, DEFAULT_STORE_MAX_BYTES, type CmafStoreOptions } from './cmaf/cmaf-store';
import { firstSegmentNumber } from './cmaf/segment-numbers';
import { CmafUploadServer } from './cmaf/cmaf-upload-server';
import { MediaRoutes } from './http/media-routes';
import { createHttpApp } from './http/server';
import type { AdmissionLimits } from './http/admission';
import { ViewerTracker } from './http/viewers';
import { createPackagerMetrics, type PackagerMetrics } from './metrics';
import { Ladder } from './ladder/ladder';

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
  /** Capacity of the public port: past it new viewers get 503 + Retry-After (default: no limit). */
  limits?: Partial<AdmissionLimits>;
  /** Fault injection (/faults/<rules>/live/…, docs/faults.md); off by default: /faults/ is then a 404 naming FAULTS_ENABLED. */
  faults?: { enabled: boolean; maxInFlight?: number; maxPerClient?: number };
  /**
   * The time-shift (DVR) window: seconds each stream keeps and lists (DVR_WINDOW_S in @livelab/media-contract,
   * default 30), and the byte budget of each publish's store (a single stream, or one rung of a ladder;
   * DEFAULT_STORE_MAX_BYTES) that shortens the window before memory grows.
   */
  dvr?: { windowSeconds?: number; maxBytes?: number };
  /** The probe listener's liveness fails once the main event loop has not run for this long (ms; DEFAULT_STUCK_AFTER_MS). */
  mainLoopStuckMs?: number;
  /** Sockets the public HTTP port holds, in total and per address (DEFAULT_HTTP_CONNECTION_LIMITS; service-kit limitConnections). */
  httpConnections?: Partial<ConnectionLimits>;
}

/**
 * The public port's socket bounds. Viewers behind one NAT, and an edge cache's backend connections, share an
 * address, so the per-address cap defaults to the total: a flood from one address is still the largest holder, whose
 * oldest sockets not in a request give way first when the port is full (service-kit connection-limits.ts).
 */
export const DEFAULT_HTTP_CONNECTION_LIMITS: ConnectionLimits = { maxConnections: 10_000, maxPerAddress: 10_000, checkEveryMs: 1000 };
/** A viewer's request headers come in one packet or two: 10 s is generous, and Node checks it every second. */
const HTTP_HEADERS_TIMEOUT_MS = 10_000;

/** Nominal segment duration of the remux, s (cmafPackagingJob's default). */
const SEGMENT_SECONDS = 1;

export class Packager {
  readonly health = new HealthState();
  readonly registry: Registry;
  /** The public port's handler (media fast path, then express). */
  readonly app: RequestListener;
  private readonly ingest: RtmpIngest;
  private readonly uploads: CmafUploadServer;
  private readonly streams = new Map<string, StreamPackager>();
  /** ABR ladders by stream name (ladder/ladder.ts): their rung publishes grouped into one presentation. */
  private readonly ladders = new Map<string, Ladder>();
  private readonly viewers = new ViewerTracker();
  private readonly ending = new Set<Promise<void>>(); // streams whose remux is stopping
  /** Highest segment number each recently ended stream name used (a republish in the same tick continues above). */
  private readonly usedNumbers = new Map<string, number>();
  private http?: Server;
  /** The probe port (/healthz, /readyz, /metrics) on its own thread: it answers however busy the main loop is. */
  private probe?: ProbeThread;
  private rtmpPort?: number;
  private stopping = false;
  private readonly m: PackagerMetrics;
  private readonly media: MediaRoutes;
  /** Every publish's store: the DVR window and the byte budget. */
  private readonly storeOptions: Pick<CmafStoreOptions, 'windowSegments' | 'maxBytes'>;

  constructor(private readonly opts: PackagerOptions) {
    this.storeOptions = {
      windowSegments: dvrWindowSegments(opts.dvr?.windowSeconds ?? DVR_WINDOW_S.default, SEGMENT_SECONDS),
      maxBytes: opts.dvr?.maxBytes ?? DEFAULT_STORE_MAX_BYTES,
    };
    this.registry = opts.registry ?? createMetricsRegistry('packager');
    this.m = createPackagerMetrics(this.registry, {
      ingestBytes: () => this.ingest?.bytesIn() ?? 0,
      rtmpConnections: () => this.ingest?.connections ?? 0,
      rtmpHeld: () => this.ingest?.heldBytes() ?? 0,
      inFlight: () => this.media?.admission.inFlight ?? 0,
      admitted: () => this.media?.admission.admitted ?? 0,
      faulted: () => this.media?.faultedInFlight ?? 0,
    });
    this.uploads = new CmafUploadServer(opts.logger);
    this.ingest = new RtmpIngest({
      publishKey: opts.publishKey,
      logger: opts.logger,
      stallTimeoutMs: opts.stallTimeoutMs,
      limits: opts.rtmpLimits,
      nameInUse: (name) => this.nameInUse(name),
    });
    this.ingest.on('publish', (p: PublishInfo) => void this.onPublish(p));
    this.ingest.on('unpublish', (name: string) => void (parsePublishName(name)?.rung ? this.endRung(name) : this.endStream(name)));
    this.ingest.on('refused', (r: { kind: string }) => this.m.refused.inc({ kind: r.kind }));
    this.health.addReadinessCheck('rtmp', () => this.ingest.listening || 'RTMP not listening');
    const media = (this.media = new MediaRoutes({
      stream: (name) => this.streams.get(name) ?? this.ladders.get(name),
      viewers: this.viewers,
      metrics: this.m,
      publicBaseUrl: opts.publicBaseUrl,
      dashTargetLatencyMs: opts.dashTargetLatencyMs,
      limits: opts.limits,
      maxFaulted: opts.faults?.maxInFlight,
      maxFaultedPerClient: opts.faults?.maxPerClient,
    }));
    this.app = createHttpApp({ health: this.health, registry: this.registry, listStreams: () => this.listStreams(), media, pageRouter: opts.pageRouter, faultsEnabled: opts.faults?.enabled ?? false });
  }

  /**
   * Start RTMP, HTTP and (when a probe port is given) the probe listener (port 0 = ephemeral); resolves with the
   * bound ports.
   */
  async start(ports: { rtmpPort: number; httpPort: number; probePort?: number; host?: string }): Promise<{ rtmpPort: number; httpPort: number; probePort?: number }> {
    await Promise.all([this.uploads.start(), warmUpFfmpeg()]); // the first remux starts without fluent-ffmpeg's probe
    this.http = createServer(this.app);
    this.http.requestTimeout = 0; // long-lived media responses share keep-alive sockets
    this.http.keepAliveTimeout = 30_000;
    this.http.headersTimeout = HTTP_HEADERS_TIMEOUT_MS;
    limitConnections(this.http, { ...DEFAULT_HTTP_CONNECTION_LIMITS, ...this.opts.httpConnections });
    const httpPort = await listen(this.http, ports.httpPort, ports.host);
    let probePort: number | undefined;
    if (ports.probePort !== undefined) {
      this.probe = new ProbeThread({
        health: this.health,
        registry: this.registry,
        port: ports.probePort,
        host: ports.host,
        stuckAfterMs: this.opts.mainLoopStuckMs,
        labels: { service: 'packager' },
        logger: this.opts.logger,
      });
      probePort = await this.probe.start();
    }
    this.rtmpPort = await this.ingest.start(ports.rtmpPort, ports.host);
    this.opts.logger.info({ rtmpPort: this.rtmpPort, httpPort, probePort }, 'packager listening');
    return { rtmpPort: this.rtmpPort, httpPort, probePort };
  }

  /** SIGTERM: not ready, stop RTMP, stop every remux and remove its files, drain HTTP. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.health.setDraining();
    await this.probe?.refresh(); // readiness fails at once on the probe port too
    await this.ingest.stop();
    await Promise.all([...this.streams.keys()].map((n) => this.endStream(n)));
    await Promise.all([...this.ladders.keys()].map((n) => this.endLadder(n)));
    // Stopping the ingest ended every publish, which started those streams' stops: wait for their remuxes.
    await Promise.all([...this.ending]);
    await this.uploads.stop();
    if (this.http) await closeServer(this.http, 3000);
    await this.probe?.stop(1000);
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
        viewers: this.viewers.count(s.name),
        storeBytes: s.store.bytes(),
      });
    }
    for (const l of this.ladders.values()) {
      if (l.state !== 'live') continue;
      const members = l.members();
      const rungs: RungSummary[] = members
        .filter((m) => m.rung.kind === 'video')
        .map((m) => {
          const info = this.ingest.streamInfo(m.publishName);
          return { index: m.track, codec: info?.videoCodec, width: info?.width, height: info?.height, fps: info?.fps, bitrateKbps: info?.videoKbps };
        });
      const audioRung = members.find((m) => m.rung.kind === 'audio');
      const audio = audioRung ? this.ingest.streamInfo(audioRung.publishName) : undefined;
      const top = rungs[0];
      out.push({
        name: l.name,
        live: true,
        since: (l.liveSince ?? l.since).toISOString(),
        video: { codec: top?.codec, width: top?.width, height: top?.height, fps: top?.fps, bitrateKbps: top?.bitrateKbps },
        audio: { codec: audio?.audioCodec, sampleRate: audio?.sampleRate, channels: audio?.channels },
        rungs,
        urls: streamUrls(l.name),
        viewers: this.viewers.count(l.name),
        storeBytes: l.store.bytes(),
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async onPublish(p: PublishInfo): Promise<void> {
    if (this.stopping) return;
    const parsed = parsePublishName(p.name);
    if (parsed?.rung) return this.onRungPublish(p, parsed.stream, parsed.rung);
    await this.endStream(p.name); // a leftover from an earlier publish of the same name
    this.m.publishes.inc();
    // Segment numbers count from the publish time so a republished name never reuses a cached URL (segment-numbers.ts).
    const store = new CmafStore({ ...this.storeOptions, firstNumber: firstSegmentNumber(p.since.getTime(), this.usedNumbers.get(p.name)) });
    const stream = this.newRemux(p.name, store);
    stream.on('live', () => this.updateLiveGauge());
    this.streams.set(p.name, stream);
    stream.start();
  }

  /** A plain stream and an ABR ladder cannot share a name: the later publish is refused (RtmpIngest). */
  private nameInUse(name: string): string | undefined {
    const parsed = parsePublishName(name);
    if (!parsed) return undefined;
    if (parsed.rung && this.streams.has(parsed.stream)) return `"${parsed.stream}" is live as a single-rendition stream`;
    if (!parsed.rung && this.ladders.has(name)) return `"${name}" is live as an ABR ladder (published as ${name}~<rung>)`;
    return undefined;
  }

  /** One rung of a ladder: grouped into the ladder's presentation (made on its first rung). */
  private onRungPublish(p: PublishInfo, stream: string, rung: Rung): void {
    let ladder = this.ladders.get(stream);
    if (!ladder) {
      const l = (ladder = new Ladder({
        name: stream,
        firstNumber: firstSegmentNumber(p.since.getTime(), this.usedNumbers.get(stream)),
        storeOptions: this.storeOptions,
        logger: this.opts.logger.child({ stream }),
        startRemux: (publishName, r, store) => this.newRemux(publishName, store, r.kind),
        stopRemux: (publishName, remux) => this.stopRemux(publishName, remux),
      }));
      l.on('live', () => this.updateLiveGauge());
      l.on('change', () => this.m.ladderRungs.set({ stream }, l.members().filter((m) => m.rung.kind === 'video').length));
      l.on('refused', (publishName: string, reason: string) => {
        this.m.ladderRefused.inc({ stream });
        // Its publisher would go on sending into nothing: cut it, with the reason (its restart is judged afresh).
        this.ingest.dropPublish(publishName, `rung refused from the ladder: ${reason}`);
      });
      this.ladders.set(stream, l);
    }
    this.m.publishes.inc();
    ladder.addRung(p.name, rung);
  }

  /** A rung's publish ended: it leaves its ladder; the last one ends the ladder. */
  private async endRung(publishName: string): Promise<void> {
    const stream = parsePublishName(publishName)?.stream ?? '';
    const ladder = this.ladders.get(stream);
    if (!ladder) return;
    await ladder.removeRung(publishName);
    if (ladder.isEmpty && this.ladders.get(stream) === ladder) await this.endLadder(stream);
    this.updateLiveGauge();
  }

  private async endLadder(stream: string): Promise<void> {
    const ladder = this.ladders.get(stream);
    if (!ladder) return;
    this.ladders.delete(stream);
    this.rememberNumbers(stream, ladder.alignment.highestUsedNumber);
    this.viewers.forget(stream);
    this.m.ladderRungs.remove({ stream });
    await ladder.end();
    this.updateLiveGauge();
  }

  private async endStream(name: string): Promise<void> {
    const s = this.streams.get(name);
    if (!s) return;
    this.streams.delete(name); // offline at once; files go as soon as ffmpeg has stopped
    this.rememberNumbers(name, s.store.highestUsedNumber);
    this.viewers.forget(name);
    this.updateLiveGauge();
    await this.stopRemux(name, s);
  }

  /** One publish's remux (a single stream, or one rung of a ladder), its uploads registered, its restarts counted. */
  private newRemux(publishName: string, store: CmafStore, rung?: Rung['kind']): StreamPackager {
    const remux = new StreamPackager({
      name: publishName,
      input: this.ingest.playUrl(publishName),
      uploadBaseUrl: this.uploads.register(publishName, store),
      store,
      logger: this.opts.logger.child({ stream: publishName }),
      rung,
    });
    remux.on('restart', () => this.m.restarts.inc({ stream: publishName }));
    remux.on('killed', () => this.m.kills.inc());
    return remux;
  }

  /** Stop a remux and drop its uploads; `stop()` waits for every remux being stopped. */
  private async stopRemux(publishName: string, remux: StreamPackager): Promise<void> {
    const done = remux.stop().then(() => this.uploads.unregister(publishName, remux.store));
    this.ending.add(done);
    try {
      await done;
    } finally {
      this.ending.delete(done);
    }
  }

  /**
   * The highest segment number a stream's or ladder's publish used, so a republish of the name within this process
   * numbers above it (segment-numbers.ts); the oldest of more than 1000 names is forgotten.
   */
  private rememberNumbers(name: string, highest: number): void {
    this.usedNumbers.delete(name);
    this.usedNumbers.set(name, highest);
    if (this.usedNumbers.size > 1000) this.usedNumbers.delete(this.usedNumbers.keys().next().value as string);
  }

  private updateLiveGauge() {
    this.m.live.set([...this.streams.values(), ...this.ladders.values()].filter((s) => s.state === 'live').length);
  }

  /** For metrics scrapes and tests. */
  ingestBytes(): number {
    return this.ingest.bytesIn();
  }
}
