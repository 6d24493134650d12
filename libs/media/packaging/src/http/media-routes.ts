// The media routes, /live/<stream>/<file>: playlists and MPDs written on request from the stream's store, init
// segments, parts (the hinted part is waited for), and segments (one being made is sent with chunked transfer as its
// parts arrive). Each request is counted by kind and status; media fetches note a viewer.
import type { Request, Response } from 'express';
import type { Counter } from '@livelab/service-kit';
import { CLOCK_PATH, parseMediaFile, type MediaFile, type Mode } from '@livelab/media-contract';
import type { Segment, Track } from '../cmaf/cmaf-store';
import { dashManifest } from '../manifests/dash-manifest';
import { lastListedPart, mediaPlaylist, multivariantPlaylist } from '../manifests/hls-playlists';
import type { StreamPackager } from '../remux/stream-packager';
import { ADVANCE_PART_LIMIT, awaitBlockingReload } from './blocking-reload';
import { cacheControl, contentType } from './media-files';
import type { ViewerTracker } from './viewers';

export interface MediaRoutesOptions {
  /** The stream of that name, if it is starting or live. */
  stream: (name: string) => StreamPackager | undefined;
  viewers: ViewerTracker;
  metrics: { requests: Counter; bytesOut: Counter };
  /** Base URL players use to reach us, for absolute URLs in manifests; default: from the request's Host. */
  publicBaseUrl?: string;
  /** Low-latency DASH target, ms (the MPD's ServiceDescription). */
  dashTargetLatencyMs?: number;
}

type Fail = (status: number, error: string) => void;

export class MediaRoutes {
  constructor(private readonly opts: MediaRoutesOptions) {}

  private baseUrl(req: Request): string {
    return this.opts.publicBaseUrl ?? `${req.protocol}://${req.get('host')}`;
  }

  /** GET/HEAD /live/:stream/:file. */
  async serve(req: Request, res: Response): Promise<void> {
    const stream = String(req.params['stream']);
    const f = parseMediaFile(String(req.params['file']));
    const s = this.opts.stream(stream);
    const fail: Fail = (status, error) => {
      this.opts.metrics.requests.inc({ kind: f?.kind ?? 'invalid', status: String(status) });
      if (!res.headersSent) res.status(status).set('Cache-Control', 'no-store').json({ error });
    };
    if (!f) return fail(400, 'not a media file name');
    if (!s || s.state === 'ended') return fail(404, `stream "${stream}" is not live`);
    const tl = s.timeline;
    const track = f.track === undefined ? undefined : s.store.track(f.track);
    if (f.track !== undefined && !track?.info) return fail(404, `stream "${stream}" has no track ${f.track}`);
    const send = (body: Buffer | string, blockingReload = false) => {
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      res.status(200).set({ 'Content-Type': contentType(f.kind), 'Cache-Control': cacheControl(f.kind, { blockingReload }), 'Content-Length': String(buf.length) });
      this.count(f.kind, buf.length);
      res.end(req.method === 'HEAD' ? undefined : buf);
    };
    if (f.kind === 'init' || f.kind === 'segment' || f.kind === 'part') this.opts.viewers.note(stream, req);
    switch (f.kind) {
      case 'init':
        return send(track?.init as Buffer);
      case 'part':
        return this.servePart(s, f, send, fail);
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
    // An HLS media playlist, maybe a blocking reload.
    const t = track as Track;
    const refused = await awaitBlockingReload(req.query, stream, t, s.store, tl, mode);
    if (refused) return fail(refused.status, refused.error);
    return send(mediaPlaylist(t, tl, mode), req.query['_HLS_msn'] !== undefined);
  }

  /** A part: served when complete; the hinted part (and a few after it) is waited for. */
  private async servePart(s: StreamPackager, f: MediaFile, send: (b: Buffer) => void, fail: Fail) {
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
  private async serveSegment(req: Request, res: Response, s: StreamPackager, f: MediaFile, fail: Fail) {
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
    this.opts.metrics.requests.inc({ kind, status: '200' });
    this.opts.metrics.bytesOut.inc({ kind }, bytes);
  }
}
