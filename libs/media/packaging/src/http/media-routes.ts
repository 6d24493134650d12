// The media routes, /live/<stream>/<file>, answered on the raw http.Server before express (issue 16: express,
// its router and URL parsing were 10–18 % of the packager's CPU under viewer load; this is the hot path, so it is
// hand-written on node:http): playlists and MPDs rendered once per store version and kept as Buffers, init segments,
// parts (the hinted part is waited for), and segments (one being made is sent with chunked transfer as its parts
// arrive). Waiting requests are released by the stream's fan-out (fan-out.ts). Each request is counted by kind and
// status; media fetches note a viewer; past the admission limits new viewers get 503 + Retry-After (admission.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter } from '@livelab/service-kit';
import {
  CLOCK_PATH,
  faultMatches,
  faultRuleText,
  isStreamName,
  parseFaultRules,
  parseDeliveryDirectives,
  parseMediaFile,
  rawDeliveryDirectives,
  shapeGrouping,
  splitFaultPath,
  splitMediaPath,
  type FaultRequest,
  type FaultRule,
  type FaultTarget,
  type StreamShape,
  type MediaFile,
  type MediaGrouping,
  type MediaFileOf,
  type MediaKind,
} from '@livelab/media-contract';
import type { LiveTimeline, Segment, Track } from '../cmaf/cmaf-store';
import { groupedSegment, groupTimeline, groupTrack } from '../cmaf/grouped-track';
import type { MediaCounts } from '../metrics';
import { dashManifest, type MpdOptions } from '../manifests/dash-manifest';
import { lastListedPart, mediaPlaylist, multivariantPlaylist, type PlaylistView } from '../manifests/hls-playlists';
import type { LiveStream, MediaStore } from './live-stream';
import { Admission, type AdmissionLimits, type Shed } from './admission';
import { ADVANCE_PART_LIMIT, blockingReload, isRefusal } from './blocking-reload';
import { clientKey, requestBaseUrl } from './client';
import { answerPreflight, CORS_HEADERS } from './cors';
import { StreamFanOut } from './fan-out';
import { DEFAULT_MAX_FAULTED, DEFAULT_MAX_FAULTED_PER_CLIENT, isDeliveryEffect, MAX_FAULTED_MS, shapeResponse } from './fault-effects';
import { cacheControl, contentType } from './media-files';
import type { ViewerTracker } from './viewers';

export interface MediaRoutesOptions {
  /** The stream (or ABR ladder presentation) of that name, if it is starting or live. */
  stream: (name: string) => LiveStream | undefined;
  viewers: ViewerTracker;
  metrics: { media: MediaCounts; shed: Counter; faults?: Counter };
  /** Base URL players use to reach us, for absolute URLs in manifests; default: from the request's Host. */
  publicBaseUrl?: string;
  /** Low-latency DASH target, ms (the MPD's ServiceDescription). */
  dashTargetLatencyMs?: number;
  /** Capacity: past it, new viewers get 503 + Retry-After. */
  limits?: Partial<AdmissionLimits>;
  /** Faulted requests (/faults/…) open at once; past it they get 503 (DEFAULT_MAX_FAULTED). */
  maxFaulted?: number;
  /** Faulted requests one client (clientKey: address + user agent) may have open at once; past it 503 (DEFAULT_MAX_FAULTED_PER_CLIENT). */
  maxFaultedPerClient?: number;
}

/** One media request as the routes answer it (issue 16: one object instead of nine parameters). */
interface MediaRequest {
  req: IncomingMessage;
  res: ServerResponse;
  head: boolean;
  s: LiveStream;
  f: MediaFile;
  track: Track | undefined;
  query: string;
  send: (body: Buffer) => void;
  fail: (status: number, error: string) => void;
  /** A faulted playlist (stale, skip): rendered for this request, not shared. */
  view?: PlaylistView;
  /** The URL's stream shape: manifests rendered for this request, not shared. */
  shape?: StreamShape;
}

/** How long a manifest request waits for a starting stream (published, first segment not complete) to become playable. */
const STARTING_WAIT_MS = 3000;

type ManifestFile = MediaFileOf<'hls-multivariant' | 'hls-media' | 'dash-manifest'>;

/** The fault rules of a /faults/<rules>/live/… request and when it arrived. */
interface Faults {
  rules: FaultRule[];
  shape?: StreamShape;
  startedAt: number;
}

/** Keeps a grouped view's waits (blocking reloads, parts) apart from the stored numbering's. */
const groupKey = (g: MediaGrouping) => `g${g.segments}c${g.chunks}-`;

/** A stream shape's MPD options (the fields it leaves out stay as /live/ serves them). */
function mpdShape(shape: StreamShape, chunkSeconds: number): Partial<MpdOptions> {
  const group = shapeGrouping(shape);
  return {
    // At most window= of what the tracks offer (a grouped view offers the stored window / N: grouped-track.ts).
    ...(shape.window !== undefined ? { shapeWindow: shape.window } : {}),
    // LL-DASH with longer parts: a segment is announced P chunks after it starts (availabilityTimeOffset follows).
    ...(group ? { group, chunkSeconds: chunkSeconds * group.chunks } : {}),
    ...(shape.utc !== undefined ? { utcScheme: shape.utc } : {}),
    ...(shape.template !== undefined ? { template: shape.template } : {}),
    ...(shape.atoMs !== undefined ? { availabilityTimeOffsetS: shape.atoMs / 1000 } : {}),
    ...(shape.targetMs !== undefined ? { targetLatencyMs: shape.targetMs } : {}),
    ...(shape.nowMs !== undefined ? { now: new Date(shape.nowMs) } : {}),
  };
}

/** Valid media paths remembered with their parse (MediaRoutes.validPaths): ~ 2 × 200 bytes each at most. */
const MAX_REMEMBERED_PATHS = 10_000;

/** Seconds a shed viewer is told to wait. */
export const RETRY_AFTER_S = 2;

const KINDS: MediaKind[] = ['hls-multivariant', 'hls-media', 'dash-manifest', 'init', 'segment', 'part'];
/** Pre-built answer headers per kind (flat name/value lists; Content-Length is added per answer). */
const OK_HEADERS = new Map(KINDS.map((k) => [k, [...CORS_HEADERS, 'Content-Type', contentType(k), 'Cache-Control', cacheControl(k)]]));
/** A blocking reload's answer may be cached while the part it waited for is listed (media-files.ts). */
const BLOCKING_RELOAD_HEADERS = [...CORS_HEADERS, 'Content-Type', contentType('hls-media'), 'Cache-Control', cacheControl('hls-media', { blockingReload: true })];
const ERROR_HEADERS = [...CORS_HEADERS, 'Content-Type', 'application/json; charset=utf-8', 'Cache-Control', 'no-store'];

export class MediaRoutes {
  readonly admission: Admission;
  private readonly fanOuts = new WeakMap<MediaStore, StreamFanOut>();

  /**
   * Valid media paths already parsed, with what they name (issue 16: splitting, decoding and matching the same few
   * dozen paths thousands of times a second was ~3 % of the packager's CPU under LL-HLS viewers). Only valid paths
   * are kept, at most MAX_REMEMBERED_PATHS (then it starts over): what a client can make it hold is bounded.
   */
  private readonly validPaths = new Map<string, { stream: string; f: MediaFile }>();
  /** A media request's response closed (answered or abandoned): it is no longer in flight. */
  private readonly answered = () => this.admission.done();

  constructor(private readonly opts: MediaRoutesOptions) {
    this.admission = new Admission({ maxViewers: opts.limits?.maxViewers ?? Infinity, maxInFlight: opts.limits?.maxInFlight ?? Infinity });
  }

  /** The stream's fan-out (made on first use; ends with its store). */
  private fanOut(s: LiveStream): StreamFanOut {
    let f = this.fanOuts.get(s.store);
    if (!f) {
      this.fanOuts.set(s.store, (f = new StreamFanOut(s.store)));
    }
    return f;
  }

  /** Any request under /live/: the http.Server's 'request' handler calls this before express sees it. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if (req.method === 'OPTIONS') return answerPreflight(req, res);
    this.route(req, res, q < 0 ? url : url.slice(0, q), q < 0 ? '' : url.slice(q + 1));
  }

  /** Faulted requests open now (each until its socket closes). */
  get faultedInFlight(): number {
    return this.faulted;
  }
  private faulted = 0;
  /** Faulted requests open per client; an entry goes when its count does, so it holds at most maxFaulted keys. */
  private readonly faultedBy = new Map<string, number>();

  /**
   * A request under /faults/<rules>/live/…: the rules are parsed (a bad one is a 400 naming it), then it is answered
   * as /live/… with the first matching rule's effect. Only called when fault injection is enabled (server.ts).
   */
  handleFaulted(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if (req.method === 'OPTIONS') return answerPreflight(req, res);
    const split = splitFaultPath(q < 0 ? url : url.slice(0, q));
    if (!split) return this.error(res, 'invalid', 404, 'not found: fault URLs are /faults/<rules>/live/<stream>/<file>');
    const parsed = parseFaultRules(split.rulesText);
    if (!parsed.ok) return this.error(res, 'invalid', 400, parsed.error);
    const retry = ['Retry-After', String(RETRY_AFTER_S)];
    if (this.faulted >= (this.opts.maxFaulted ?? DEFAULT_MAX_FAULTED)) {
      return this.error(res, 'invalid', 503, `too many faulted requests open (${this.faulted}); retry in ${RETRY_AFTER_S} s`, retry);
    }
    // One client cannot take every faulted slot: each has a share (a player has a few requests open; a flood has many).
    const client = clientKey(req);
    const mine = this.faultedBy.get(client) ?? 0;
    const share = this.opts.maxFaultedPerClient ?? DEFAULT_MAX_FAULTED_PER_CLIENT;
    if (mine >= share) {
      return this.error(res, 'invalid', 503, `too many faulted requests open from this client (${mine}, at most ${share} each); retry in ${RETRY_AFTER_S} s`, retry);
    }
    this.faulted++;
    this.faultedBy.set(client, mine + 1);
    const cap = setTimeout(() => res.destroy(), MAX_FAULTED_MS);
    res.once('close', () => {
      this.faulted--;
      const left = (this.faultedBy.get(client) ?? 1) - 1;
      if (left > 0) this.faultedBy.set(client, left);
      else this.faultedBy.delete(client);
      clearTimeout(cap);
    });
    this.route(req, res, split.livePath, q < 0 ? '' : url.slice(q + 1), { rules: parsed.rules, shape: 'shape' in parsed ? parsed.shape : undefined, startedAt });
  }

  private route(req: IncomingMessage, res: ServerResponse, path: string, query: string, faults?: Faults): void {
    const known = this.validPaths.get(path);
    if (known === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return this.routeNew(req, res, path, query, faults);
    const client = clientKey(req);
    const shed = this.admission.admit(client);
    if (shed) return this.shed(res, known.f.kind, shed);
    res.on('close', this.answered); // one shared listener, no closure per request
    this.serve(req, res, known.stream, known.f, client, query, faults);
  }

  /** A path not parsed before (or not a GET/HEAD): checked by the contract's rules, remembered when valid. */
  private routeNew(req: IncomingMessage, res: ServerResponse, path: string, query: string, faults?: Faults): void {
    const parts = splitMediaPath(path);
    if (!parts) return this.error(res, 'invalid', 404, 'not found: media URLs are /live/<stream>/<file>');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.error(res, 'invalid', 405, 'media URLs take GET, HEAD or OPTIONS', ['Allow', 'GET, HEAD, OPTIONS']);
    }
    if (!isStreamName(parts.stream)) return this.error(res, 'invalid', 400, 'invalid stream name: lowercase letters, digits, ".", "_" and "-", at most 64');
    const f = parseMediaFile(parts.name);
    if (!f) return this.error(res, 'invalid', 400, 'not a media file name');
    if (this.validPaths.size >= MAX_REMEMBERED_PATHS) this.validPaths.clear();
    this.validPaths.set(path, { stream: parts.stream, f });
    this.route(req, res, path, query, faults);
  }

  private serve(req: IncomingMessage, res: ServerResponse, stream: string, f: MediaFile, client: string, query: string, faults?: Faults): void {
    const s = this.opts.stream(stream);
    if (!s || s.state === 'ended') return this.error(res, f.kind, 404, `stream "${stream}" is not live`);
    const trackId = 'track' in f ? f.track : undefined;
    const track = trackId === undefined ? undefined : s.store.track(trackId);
    if (trackId !== undefined && !track?.info) return this.error(res, f.kind, 404, `stream "${stream}" has no track ${trackId}`);
    const head = req.method === 'HEAD';
    // The hot path, half of all LL-HLS requests: a part the playlist already lists (what servePart would answer at once).
    if (f.kind === 'part' && !faults) {
      const listed = (track as Track).segments.get(f.number)?.parts[f.part];
      if (listed) {
        this.opts.viewers.note(stream, client);
        return this.send(res, 'part', listed.data, head);
      }
    }
    const fail = (status: number, error: string) => this.error(res, f.kind, status, error);
    const send = (body: Buffer) => this.send(res, f.kind, body, head);
    const ctx: MediaRequest = { req, res, head, s, f, track, query, send, fail, shape: faults?.shape };
    const group = 'group' in f ? f.group : undefined;
    // A stream shape's grouped names (…-s2, …-c2): only behind a /faults/ prefix (/live/ serves the stored names alone).
    if (group && !faults) return fail(404, 'grouped segment and part names are served under /faults/shape,seg=…,chunks=…/live/… only');
    if (faults && this.applyFault(ctx, faults)) return;
    if (f.kind === 'init' || f.kind === 'segment' || f.kind === 'part') this.opts.viewers.note(stream, client);
    switch (f.kind) {
      case 'init':
        return send(track?.init as Buffer);
      case 'part':
        if (group) return this.serveGroupedPart(s, track as Track, f, group, send, fail);
        return this.servePart(s, track as Track, f, send, fail);
      case 'segment':
        if (group) return this.serveGroupedSegment(res, head, s, track as Track, f, group, fail);
        return this.serveSegment(res, head, s, track as Track, f, fail);
    }
    const manifest = (tl: LiveTimeline) => this.serveManifest(ctx as MediaRequest & { f: ManifestFile }, tl);
    if (s.timeline) return manifest(s.timeline);
    // Asked for while the stream starts: answered as soon as it is playable.
    void s.store.waitFor(() => !!s.timeline, STARTING_WAIT_MS).then(() => {
      if (res.destroyed) return;
      if (s.timeline) manifest(s.timeline);
      else fail(404, `stream "${stream}" is starting`);
    });
  }

  /**
   * The first fault rule that selects this request, applied: true when the request is answered by it (a status, a
   * hang, a drop); delivery effects shape the answer the routes go on to write, manifest effects set `ctx.view`.
   */
  private applyFault(ctx: MediaRequest, faults: Faults): boolean {
    const { f, res, query } = ctx;
    const nowMs = Date.now();
    let target: FaultTarget;
    let number: number | undefined = Math.floor(nowMs / 1000);
    switch (f.kind) {
      case 'hls-multivariant':
        target = 'multivariant';
        break;
      case 'dash-manifest':
        target = 'mpd';
        break;
      case 'hls-media': {
        const msn = query ? rawDeliveryDirectives(query).msn : undefined;
        target = msn === undefined ? 'playlist' : 'reload';
        if (typeof msn === 'string' && /^\d{1,12}$/.test(msn)) number = Number(msn);
        break;
      }
      default:
        target = f.kind;
        if (f.kind !== 'init') number = f.number;
    }
    const q: FaultRequest = { target, track: 'track' in f ? f.track : undefined, number, part: f.kind === 'part' ? f.part : undefined, nowMs };
    // A skip rule's number pattern picks the segments it skips, not the requests it applies to. On an MPD (DASH has no
    // EXT-X-GAP: a SegmentTimeline gap renumbers $Number$ after it — S@n is not read by dash.js 5.2) the segments it
    // picks stay in the MPD's addressing and their requests are answered 404: what a player meets when one is lost.
    const skipsSegment = (r: FaultRule) => target === 'segment' && r.on.includes('mpd') && faultMatches(r, { ...q, target: 'mpd' });
    const rule = faults.rules.find((r) => (r.effect.kind === 'skip' ? skipsSegment(r) || faultMatches(r, { ...q, number: undefined }) : faultMatches(r, q)));
    if (!rule) return false;
    const e = rule.effect;
    this.opts.metrics.faults?.inc({ effect: e.kind });
    if (e.kind === 'skip' && target === 'segment') {
      ctx.fail(404, `fault injected: ${faultRuleText(rule)} (segment ${number} skipped: the MPD lists it, the server has none)`);
      return true;
    }
    switch (e.kind) {
      case 'status':
        ctx.fail(e.status, `fault injected: ${faultRuleText(rule)}`);
        return true;
      case 'drop':
        ctx.req.socket.destroy();
        return true;
      case 'hang': {
        // Nothing is answered; the socket is closed after e.ms (the request counts as faulted until then).
        const t = setTimeout(() => res.destroy(), e.ms);
        res.once('close', () => clearTimeout(t));
        return true;
      }
      case 'stale':
        ctx.view = { asOfMs: Math.floor(nowMs / (e.seconds * 1000)) * e.seconds * 1000 };
        return false;
      case 'skip':
        ctx.view = { gap: (n) => faultMatches(rule, { ...q, number: n }) };
        return false;
      default:
        if (isDeliveryEffect(e)) shapeResponse(res, e, faults.startedAt);
        return false;
    }
  }

  /** A multivariant or media playlist (maybe a blocking reload) or an MPD, rendered once per store version. */
  private serveManifest(ctx: MediaRequest & { f: ManifestFile }, tl: LiveTimeline): void {
    const { req, res, s, f, send, fail, query, shape } = ctx;
    // A shape with seg=/chunks=: manifests are written from the grouped view of the store (cmaf/grouped-track.ts).
    const group = shapeGrouping(shape);
    const grouped = (t: Track) => (group ? groupTrack(t, group) : t);
    const gtl = group ? groupTimeline(tl, group) : tl;
    const view = shape ? { ...ctx.view, window: shape.window, pdt: shape.pdt, group } : ctx.view;
    const stream = s.name;
    const mode = f.mode;
    const fan = this.fanOut(s);
    if (f.kind === 'hls-multivariant') return send(fan.manifest(`master:${mode}`, () => multivariantPlaylist(s.store.readyTracks(), mode, { ladder: s.ladder })));
    if (f.kind === 'dash-manifest') {
      if (view?.asOfMs !== undefined && shape?.template !== 'timeline') {
        return fail(400, 'fault rules: stale on an MPD needs a SegmentTimeline (add the rule shape,tmpl=timeline): a number-based MPD lists no segments');
      }
      if (shape?.nowMs !== undefined && shape.nowMs < gtl.availabilityStart.getTime()) {
        return fail(400, `fault rules: shape now=${shape.nowMs} is before this stream's availabilityStartTime (${gtl.availabilityStart.toISOString()}, ${gtl.availabilityStart.getTime()})`);
      }
      const base = this.opts.publicBaseUrl ?? requestBaseUrl(req);
      const opts = { mode, utcTimingUrl: `${base}${CLOCK_PATH}`, chunkSeconds: s.chunkSeconds, targetLatencyMs: this.opts.dashTargetLatencyMs, ladder: s.ladder };
      const stale = view?.asOfMs !== undefined ? { asOfMs: view.asOfMs, now: new Date(Math.max(view.asOfMs, tl.availabilityStart.getTime())) } : {};
      const tracks = () => (group ? s.store.readyTracks().map(grouped) : s.store.readyTracks());
      const render = () => dashManifest(tracks(), gtl, shape ? { ...opts, ...mpdShape(shape, s.chunkSeconds), ...stale } : opts);
      return send(shape ? Buffer.from(render()) : fan.manifest(`mpd:${mode}:${base}`, render));
    }
    // An HLS media playlist, maybe a blocking reload; a faulted one (view) is rendered for its request alone.
    const t = ctx.track as Track;
    // An ABR ladder's low-latency playlists report the other renditions (EXT-X-RENDITION-REPORT).
    const others = () => s.store.readyTracks().filter((o) => o !== t);
    const reports = (): PlaylistView => (s.ladder ? { renditionReports: group ? others().map(grouped) : others() } : {});
    const directives = query ? parseDeliveryDirectives(query) : {};
    if ('error' in directives) return fail(400, directives.error);
    // A delta update when asked (_HLS_skip, offered by the low-latency playlists' CAN-SKIP-UNTIL); a standard
    // playlist offers none and answers a request for one in full, which is always a valid answer.
    const skip = mode === 'll' && directives.skip !== undefined;
    const playlist = () =>
      view
        ? Buffer.from(mediaPlaylist(grouped(t), gtl, mode, { ...reports(), ...view, skip }))
        : fan.manifest(`media:${t.id}:${mode}${skip ? ':skip' : ''}`, () => mediaPlaylist(t, tl, mode, { ...reports(), skip }));
    const wait = group ? blockingReload(directives, grouped(t), mode, () => grouped(t), groupKey(group)) : blockingReload(directives, t, mode);
    if (!wait) return send(playlist());
    if (isRefusal(wait)) return fail(wait.status, wait.error);
    fan.wait(wait.key, wait.ready, 3 * gtl.targetDuration * 1000, (ok) => {
      if (res.destroyed) return;
      if (ok) return this.send(res, 'hls-media', playlist(), ctx.head, BLOCKING_RELOAD_HEADERS);
      if (s.store.isClosed) fail(404, `stream "${stream}" ended`);
      else fail(503, `segment ${wait.key.split(':').slice(2).join(' part ')} not available yet; retry`);
    });
  }

  /** A part: served when complete; the hinted part (and a few after it) is waited for. */
  private servePart(s: LiveStream, t: Track, f: MediaFileOf<'part'>, send: (b: Buffer) => void, fail: (status: number, error: string) => void) {
    const n = f.number;
    const p = f.part;
    const settled = () => {
      const seg = t.segments.get(n);
      return !!seg && (seg.parts.length > p || seg.complete);
    };
    const answer = () => {
      const part = t.segments.get(n)?.parts[p];
      if (part) send(part.data);
      else fail(404, 'no such part');
    };
    if (settled()) return answer();
    const last = lastListedPart(t);
    const ahead = n === last.msn ? p - last.part : n === last.msn + 1 ? p + 1 : Infinity;
    if (ahead > ADVANCE_PART_LIMIT) return fail(404, 'no such part');
    this.fanOut(s).wait(`p:${t.id}:${n}:${p}`, settled, 3000, answer);
  }

  /**
   * A segment: a complete one at once, from one Buffer; one being made is sent with chunked transfer as its parts
   * arrive (LL-DASH players ask for it as soon as its first chunk is due); the next one is waited for briefly.
   */
  private serveSegment(res: ServerResponse, head: boolean, s: LiveStream, t: Track, f: MediaFileOf<'segment'>, fail: (status: number, error: string) => void) {
    const n = f.number;
    const answer = () => {
      const seg: Segment | undefined = t.segments.get(n);
      if (!seg) return fail(404, 'no such segment');
      if (seg.complete) return this.send(res, 'segment', this.whole(seg), head);
      res.writeHead(200, OK_HEADERS.get('segment') as string[]);
      if (head) return void res.end();
      let bytes = 0;
      for (const p of seg.parts) {
        bytes += p.data.length;
        res.write(p.data);
      }
      this.fanOut(s).read(seg, { res, sent: seg.parts.length, bytes, lastAt: Date.now(), done: (b) => this.count('segment', b) });
    };
    if (t.segments.has(n)) return answer();
    const newest = t.inProgress()?.number ?? t.lastComplete()?.number ?? -Infinity;
    if (n > newest && n <= newest + 2) return this.fanOut(s).wait(`s:${t.id}:${n}`, () => t.segments.has(n), 3000, () => !res.destroyed && answer());
    fail(404, 'no such segment');
  }

  /** A stream shape's grouped part (chunks stored chunks in a row): served when whole; the hinted one is waited for. */
  private serveGroupedPart(s: LiveStream, t: Track, f: MediaFileOf<'part'>, g: MediaGrouping, send: (b: Buffer) => void, fail: (status: number, error: string) => void) {
    const n = f.number;
    const p = f.part;
    const seg = () => groupedSegment(t, g, n, t);
    const settled = () => {
      const x = seg();
      return !!x && (x.parts.length > p || x.complete);
    };
    const answer = () => {
      const part = seg()?.parts[p];
      if (part) send(part.data);
      else fail(404, 'no such part');
    };
    if (settled()) return answer();
    const last = lastListedPart(groupTrack(t, g));
    const ahead = n === last.msn ? p - last.part : n === last.msn + 1 ? p + 1 : Infinity;
    if (ahead > ADVANCE_PART_LIMIT) return fail(404, 'no such part');
    this.fanOut(s).wait(`${groupKey(g)}p:${t.id}:${n}:${p}`, settled, 3000 * g.chunks, answer);
  }

  /**
   * A stream shape's grouped segment k (stored segments k·N … k·N+N−1): complete, their bytes one after another with
   * a Content-Length (no copy); in progress, sent with chunked transfer as the stored segments' parts arrive, one
   * stored segment after the other (an LL-DASH player asks for it early).
   */
  private serveGroupedSegment(res: ServerResponse, head: boolean, s: LiveStream, t: Track, f: MediaFileOf<'segment'>, g: MediaGrouping, fail: (status: number, error: string) => void) {
    const first = f.number * g.segments;
    const stored = (i: number) => t.segments.get(first + i);
    const fan = this.fanOut(s);
    const answer = () => {
      if (res.destroyed) return;
      const members = Array.from({ length: g.segments }, (_, i) => stored(i));
      if (!members[0]) return fail(404, 'no such segment');
      if (members.every((m) => m?.complete)) {
        const bodies = (members as Segment[]).map((m) => this.whole(m));
        const length = bodies.reduce((n, b) => n + b.length, 0);
        if (res.headersSent) return;
        res.writeHead(200, [...(OK_HEADERS.get('segment') as string[]), 'Content-Length', String(length)]);
        if (head) return void res.end();
        for (const b of bodies.slice(0, -1)) res.write(b);
        res.end(bodies.at(-1));
        return this.count('segment', length);
      }
      res.writeHead(200, OK_HEADERS.get('segment') as string[]);
      if (head) return void res.end();
      let bytes = 0;
      const finish = () => {
        res.end();
        this.count('segment', bytes);
      };
      const from = (i: number): void => {
        if (res.destroyed) return;
        if (i === g.segments) return finish();
        const m = stored(i);
        // The next stored segment is opened by its first chunk: wait for it as for the next segment.
        if (!m) return fan.wait(`s:${t.id}:${first + i}`, () => t.segments.has(first + i), 3000, (ok) => (ok ? from(i) : finish()));
        if (m.complete) {
          const b = this.whole(m);
          bytes += b.length;
          res.write(b);
          return from(i + 1);
        }
        for (const p of m.parts) {
          bytes += p.data.length;
          res.write(p.data);
        }
        const then = (b: number) => {
          bytes = b;
          from(i + 1);
        };
        fan.read(m, { res, sent: m.parts.length, bytes, lastAt: Date.now(), done: (b) => this.count('segment', b), then });
      };
      from(0);
    };
    if (stored(0)) return answer();
    const newest = t.inProgress()?.number ?? t.lastComplete()?.number ?? -Infinity;
    if (first > newest && first <= newest + 2) return fan.wait(`s:${t.id}:${first}`, () => t.segments.has(first), 3000, () => answer());
    fail(404, 'no such segment');
  }

  /** A complete segment's bytes as one Buffer: the store joined them once when it completed (Segment.seal). */
  private whole(seg: Segment): Buffer {
    return seg.data ?? Buffer.concat(seg.chunks());
  }

  private send(res: ServerResponse, kind: MediaKind, body: Buffer, head: boolean, headers = OK_HEADERS.get(kind) as string[]): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(200, [...headers, 'Content-Length', String(body.length)]);
    res.end(head ? undefined : body);
    this.count(kind, body.length);
  }

  private error(res: ServerResponse, kind: MediaKind | 'invalid', status: number, error: string, extra: string[] = []): void {
    this.opts.metrics.media.count(kind, status);
    if (res.headersSent || res.destroyed) return;
    const body = Buffer.from(JSON.stringify({ error }));
    res.writeHead(status, [...ERROR_HEADERS, ...extra, 'Content-Length', String(body.length)]);
    res.end(body);
  }

  private shed(res: ServerResponse, kind: MediaKind, why: Shed): void {
    this.opts.metrics.shed.inc({ reason: why });
    const what = why === 'viewers' ? 'the packager is at its viewer limit' : 'the packager is at its in-flight request limit';
    this.error(res, kind, 503, `${what}; retry in ${RETRY_AFTER_S} s`, ['Retry-After', String(RETRY_AFTER_S)]);
  }

  private count(kind: string, bytes: number) {
    this.opts.metrics.media.count(kind, 200, bytes);
  }
}
