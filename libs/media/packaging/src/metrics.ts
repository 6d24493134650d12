// The packager's metrics: streams, ingest and media bytes, media requests, remux restarts and kills, refusals and
// RTMP connection load. The gauges that read the ingest are collected at scrape time.
import { Counter, Gauge, type Registry } from '@livelab/service-kit';

/**
 * Media requests by kind and status, and media bytes sent by kind: counted in plain numbers on the hot path and handed
 * to their prom-client Counters when scraped (issue 16: `Counter.inc` with labels hashes and validates its labels on
 * every call — two calls per media request, tens of thousands a second at load).
 */
export class MediaCounts {
  /** kind → status → requests */
  readonly requests = new Map<string, Map<number, number>>();
  /** kind → bytes */
  readonly bytes = new Map<string, number>();

  /** One answered media request (bytes: of a 200's body). */
  count(kind: string, status: number, bytes = 0): void {
    let byStatus = this.requests.get(kind);
    if (!byStatus) this.requests.set(kind, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (status === 200) this.bytes.set(kind, (this.bytes.get(kind) ?? 0) + bytes);
  }
}

export interface PackagerMetrics {
  live: Gauge;
  bytesIn: Gauge;
  /** Media requests and bytes (livelab_packager_media_requests_total, livelab_packager_http_bytes_out_total). */
  media: MediaCounts;
  restarts: Counter;
  kills: Counter;
  refused: Counter;
  publishes: Counter;
  shed: Counter;
  faults: Counter;
  /** Video rungs in each ABR ladder's presentation now. */
  ladderRungs: Gauge;
  /** Rung publishes refused from their ladder (keyframes off its segment grid). */
  ladderRefused: Counter;
}

/** What the scrape-time gauges read. */
export interface IngestLoad {
  ingestBytes: () => number;
  rtmpConnections: () => number;
  rtmpHeld: () => number;
  /** Media requests being answered (waiting ones included), and clients counted against the viewer limit. */
  inFlight: () => number;
  admitted: () => number;
  /** Faulted requests (/faults/…) open now. */
  faulted: () => number;
}

export function createPackagerMetrics(registry: Registry, load: IngestLoad): PackagerMetrics {
  const r = [registry];
  const { ingestBytes, rtmpConnections, rtmpHeld, inFlight, admitted, faulted } = load;
  const media = new MediaCounts();
  // Set from the plain counts at scrape time (a Counter has no set(): reset, then the totals).
  new Counter({
    name: 'livelab_packager_http_bytes_out_total',
    help: 'Media bytes sent to players',
    labelNames: ['kind'],
    registers: r,
    collect() {
      this.reset();
      for (const [kind, n] of media.bytes) this.inc({ kind }, n);
    },
  });
  new Counter({
    name: 'livelab_packager_media_requests_total',
    help: 'Media requests by kind and status',
    labelNames: ['kind', 'status'],
    registers: r,
    collect() {
      this.reset();
      for (const [kind, byStatus] of media.requests) for (const [status, n] of byStatus) this.inc({ kind, status: String(status) }, n);
    },
  });
  const m: PackagerMetrics = {
    live: new Gauge({ name: 'livelab_packager_live_streams', help: 'Streams currently playable', registers: r }),
    bytesIn: new Gauge({
      name: 'livelab_packager_ingest_bytes',
      help: 'Bytes received from the publishers currently connected',
      registers: r,
      collect() {
        this.set(ingestBytes());
      },
    }),
    media,
    restarts: new Counter({ name: 'livelab_packager_ffmpeg_restarts_total', help: 'Remux ffmpeg restarts', labelNames: ['stream'], registers: r }),
    kills: new Counter({ name: 'livelab_packager_ffmpeg_kills_total', help: 'Remux ffmpegs that had to be SIGKILLed: q and SIGINT did not end them within the grace', registers: r }),
    refused: new Counter({
      name: 'livelab_packager_refused_total',
      help: 'Refused RTMP publishers and players (publish, play), connections closed for a protocol error or a timeout, and connections refused at a limit',
      labelNames: ['kind'],
      registers: r,
    }),
    ladderRungs: new Gauge({ name: 'livelab_packager_ladder_rungs', help: 'Video rungs in each ABR ladder presentation', labelNames: ['stream'], registers: r }),
    ladderRefused: new Counter({
      name: 'livelab_packager_ladder_refused_rungs_total',
      help: 'Rung publishes refused from their ABR ladder: segments off the ladder segment grid',
      labelNames: ['stream'],
      registers: r,
    }),
    publishes: new Counter({ name: 'livelab_packager_publishes_total', help: 'Accepted RTMP publishes', registers: r }),
    shed: new Counter({
      name: 'livelab_packager_shed_total',
      help: 'Media requests answered 503 + Retry-After at a capacity limit (reason: viewers, in-flight)',
      labelNames: ['reason'],
      registers: r,
    }),
    faults: new Counter({
      name: 'livelab_packager_faults_total',
      help: 'Fault effects applied to /faults/… requests, by effect (status, delay, hang, throttle, truncate, stall, drop, stale, skip)',
      labelNames: ['effect'],
      registers: r,
    }),
  };
  new Gauge({
    name: 'livelab_packager_faulted_in_flight',
    help: 'Faulted requests (/faults/…) open now: hangs, stalls, throttled answers (capped; see FAULTS_ENABLED)',
    registers: r,
    collect() {
      this.set(faulted());
    },
  });
  new Gauge({
    name: 'livelab_packager_http_in_flight',
    help: 'Media requests being answered, blocked ones included',
    registers: r,
    collect() {
      this.set(inFlight());
    },
  });
  new Gauge({
    name: 'livelab_packager_admitted_viewers',
    help: 'Clients counted against MAX_VIEWERS (asked for media within the viewer window)',
    registers: r,
    collect() {
      this.set(admitted());
    },
  });
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
  return m;
}
