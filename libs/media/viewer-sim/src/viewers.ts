// Simulated players, each on the cadence of a real one, one keep-alive connection per track:
//   'hls'      standard HLS: blocking reload for the next segment when the playlist offers it (CAN-BLOCK-RELOAD),
//              else a reload every half target duration; then each new segment.
//   'll-hls'   LL-HLS: blocking reload for the next part (_HLS_msn + _HLS_part), then that part — ~10 requests/s a
//              track with 200 ms parts. Like hls.js (1.7, getSkipValue), it asks for a delta update
//              (_HLS_skip=YES) when the playlist offers CAN-SKIP-UNTIL and its copy is younger than half of it,
//              unless `deltaUpdates: false`.
//   'll-dash'  LL-DASH: the segment being made, read chunk by chunk as it arrives (chunked transfer), then the next.
// They follow every track a player would (HLS: the variant and its audio rendition; DASH: every Representation).
import { deliveryDirectivesQuery } from '@livelab/media-contract';
import { HttpConnection, type HttpResult } from './http-connection';
import { expandTemplate, parseMediaPlaylist, parseMpd, resolvePath, variantUris, type DashRepresentation, type HlsUnit } from './playlists';
import type { ViewerStats } from './stats';

export type ViewerKind = 'hls' | 'll-hls' | 'll-dash';

export interface ViewerTarget {
  host: string;
  port: number;
  /** The manifest's path: a multivariant playlist (HLS kinds) or an MPD (ll-dash). */
  manifestPath: string;
  /** Source addresses to spread viewers over (loopback 127.0.0.x: more ephemeral ports); default: the system's. */
  localAddresses?: string[];
  /** HLS: ask for Playlist Delta Updates when offered, as hls.js does (default true). */
  deltaUpdates?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What a request was for, in an error's kind. */
const what = (path: string) => (/\.m3u8\?.*_HLS_msn=/.test(path) ? 'blocking reload' : /\.m3u8/.test(path) ? 'playlist' : /\.mpd/.test(path) ? 'mpd' : /\.\d+\.m4s/.test(path) ? 'part' : 'segment');

/** One simulated viewer; `run` ends when `stop` is called. */
export class Viewer {
  private stopped = false;
  private readonly conns: HttpConnection[] = [];

  constructor(
    readonly kind: ViewerKind,
    private readonly target: ViewerTarget,
    private readonly stats: ViewerStats,
    private readonly id: number,
  ) {}

  stop(): void {
    this.stopped = true;
    for (const c of this.conns) c.close();
  }

  private conn(): HttpConnection {
    const from = this.target.localAddresses;
    const c = new HttpConnection(this.target.host, this.target.port, `User-Agent: livelab-viewer-sim/${this.id}\r\n`, from?.[this.id % from.length]);
    this.conns.push(c);
    return c;
  }

  /** A GET that counts itself; undefined (and an error counted) on a network error, a 503 counted as shed. */
  private async get(c: HttpConnection, path: string, keepBody: boolean, onData?: (b: Buffer) => void): Promise<HttpResult | undefined> {
    this.stats.requests++;
    try {
      const r = await c.request(path, { keepBody, onData });
      if (r.status === 503) this.stats.shed++;
      else if (r.status !== 200) this.stats.error(`${r.status} ${what(path)}`);
      return r;
    } catch (err) {
      if (!this.stopped) this.stats.error(`${(err as Error).message} (${what(path)})`);
      return undefined;
    }
  }

  async run(): Promise<void> {
    // Retry the first manifest (a shed 503 or a stream not yet live) like a player would.
    while (!this.stopped) {
      const c = this.conn();
      const r = await this.get(c, this.target.manifestPath, true);
      if (r?.status === 200 && r.body) {
        const text = r.body.toString('utf8');
        if (this.kind === 'll-dash') {
          const mpd = parseMpd(text);
          await Promise.all(mpd.representations.map((rep, i) => this.followDash(i === 0 ? c : this.conn(), mpd.availabilityStartMs, rep)));
        } else {
          const uris = variantUris(text).map((u) => resolvePath(this.target.manifestPath, u));
          await Promise.all(uris.map((u, i) => this.followHls(i === 0 ? c : this.conn(), u)));
        }
        return;
      }
      const retryS = Number(r?.headers.get('retry-after') ?? 1);
      await sleep(Math.min(5, Number.isFinite(retryS) ? retryS : 1) * 1000);
    }
  }

  private async followHls(c: HttpConnection, path: string): Promise<void> {
    const ll = this.kind === 'll-hls';
    let r = await this.get(c, path, true);
    if (!r?.body || r.status !== 200) return;
    this.stats.playlists++;
    this.stats.playlistBytes += r.body.length;
    let view = parseMediaPlaylist(r.body.toString('utf8'));
    let viewAt = r.doneAt;
    // Start at the live edge: the next segment (standard) or the part being made (low latency).
    let nextMsn = (view.segments.at(-1)?.msn ?? -1) + 1;
    let nextPart = 0;
    if (ll && view.next) ({ msn: nextMsn, part: nextPart } = view.next);
    while (!this.stopped) {
      const blocking = view.canBlockReload;
      // rfc8216bis §6.3.7: a delta only while the copy held is younger than half the Skip Boundary.
      const skip = this.target.deltaUpdates !== false && view.canSkipUntil > 0 && Date.now() - viewAt < view.canSkipUntil * 500;
      const q = deliveryDirectivesQuery({ msn: blocking ? nextMsn : undefined, part: blocking && ll ? nextPart : undefined, skip: skip ? 'YES' : undefined });
      r = await this.get(c, q ? `${path}?${q}` : path, true);
      if (this.stopped) return;
      if (!r?.body || r.status !== 200) {
        await sleep(200);
        continue;
      }
      const chainStart = r.sentAt;
      this.stats.playlists++;
      this.stats.playlistBytes += r.body.length;
      view = parseMediaPlaylist(r.body.toString('utf8'));
      viewAt = r.doneAt;
      const units: HlsUnit[] = ll ? view.parts : view.segments;
      for (const u of units) this.stats.seen(`${path}|${u.uri}`, r.headAt);
      const after = (u: HlsUnit) => u.msn > nextMsn || (u.msn === nextMsn && (u.part ?? 0) >= nextPart);
      const todo = units.filter(after);
      const oldest = units[0];
      if (oldest && todo.length && todo[0] === oldest && (oldest.msn > nextMsn || (oldest.msn === nextMsn && (oldest.part ?? 0) > nextPart))) {
        this.stats.lose(); // fell behind the playlist's window: what we asked for is gone
      }
      for (const u of todo) {
        const up = resolvePath(path, u.uri);
        const got = await this.get(c, up, false);
        if (this.stopped) return;
        if (got?.status === 200) {
          const t0 = this.stats.seen(`${path}|${u.uri}`, got.doneAt);
          this.stats.deliver(got.doneAt - Math.max(t0, chainStart), u.durationS * 1000);
        } else this.stats.lose();
      }
      const last = todo.at(-1);
      if (ll && view.next) ({ msn: nextMsn, part: nextPart } = view.next);
      else if (ll && last) {
        const complete = view.segments.some((s) => s.msn === last.msn);
        ({ msn: nextMsn, part: nextPart } = complete ? { msn: last.msn + 1, part: 0 } : { msn: last.msn, part: (last.part ?? 0) + 1 });
      } else if (last) nextMsn = last.msn + 1;
      if (!blocking) await sleep(Math.max(0, chainStart + (view.targetDuration * 1000) / 2 - Date.now()));
    }
  }

  private async followDash(c: HttpConnection, astMs: number, rep: DashRepresentation): Promise<void> {
    const segMs = (rep.duration / rep.timescale) * 1000;
    const chunkMs = Math.max(1, segMs - rep.availabilityTimeOffsetS * 1000);
    const current = () => rep.startNumber + Math.floor((Date.now() - astMs) / segMs);
    let n = current();
    while (!this.stopped) {
      let chunk = 0;
      let sentAt = Date.now();
      const path = resolvePath(this.target.manifestPath, expandTemplate(rep.media, rep.id, n));
      const boxes = new BoxScanner(() => {
        const now = Date.now();
        const t0 = this.stats.seen(`${path}|${chunk++}`, now);
        this.stats.deliver(now - Math.max(t0, sentAt), chunkMs);
      });
      sentAt = Date.now();
      const r = await this.get(c, path, false, (piece) => boxes.push(piece));
      if (this.stopped) return;
      if (r?.status === 200) {
        n++;
        // Fell more than a segment behind the live edge (a player would seek): skip to it, the rest is lost.
        const edge = current();
        if (edge > n + 1) {
          this.stats.lose(Math.round(((edge - n) * segMs) / chunkMs));
          n = edge;
        }
      } else {
        this.stats.lose();
        await sleep(200);
        n = current();
      }
    }
  }
}

/** Calls `onChunk` each time an mdat box ends in a byte stream of ISO BMFF boxes (a CMAF chunk is moof + mdat). */
export class BoxScanner {
  private header = Buffer.alloc(16);
  private headerHave = 0;
  private headerNeed = 8;
  private remaining = 0;
  private isMdat = false;

  constructor(private readonly onChunk: () => void) {}

  push(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, data.length - at);
        at += n;
        this.remaining -= n;
        if (this.remaining === 0) this.endBox();
        continue;
      }
      const n = Math.min(this.headerNeed - this.headerHave, data.length - at);
      data.copy(this.header, this.headerHave, at, at + n);
      this.headerHave += n;
      at += n;
      if (this.headerHave < this.headerNeed) continue;
      const size32 = this.header.readUInt32BE(0);
      if (size32 === 1 && this.headerNeed === 8) {
        this.headerNeed = 16; // 64-bit size follows
        continue;
      }
      const size = size32 === 1 ? Number(this.header.readBigUInt64BE(8)) : size32;
      this.isMdat = this.header.toString('latin1', 4, 8) === 'mdat';
      if (size < this.headerNeed) throw new Error(`bad box size ${size}`);
      this.remaining = size - this.headerNeed;
      this.headerHave = 0;
      this.headerNeed = 8;
      if (this.remaining === 0) this.endBox();
    }
  }

  private endBox(): void {
    if (this.isMdat) this.onChunk();
    this.isMdat = false;
  }
}

/** A crowd of viewers of one kind, started spread over `rampMs` (players do not all join in the same millisecond). */
export class ViewerCrowd {
  private readonly viewers: Viewer[] = [];
  private readonly runs: Promise<void>[] = [];
  private nextId = 0;

  constructor(
    readonly kind: ViewerKind,
    private readonly target: ViewerTarget,
    readonly stats: ViewerStats,
  ) {}

  get size(): number {
    return this.viewers.length;
  }

  /** Add viewers until there are `count`. */
  async grow(count: number, rampMs = 1000): Promise<void> {
    const add = count - this.viewers.length;
    for (let i = 0; i < add; i++) {
      const v = new Viewer(this.kind, this.target, this.stats, this.nextId++);
      this.viewers.push(v);
      this.runs.push(v.run().catch(() => undefined));
      if (add > 1 && rampMs > 0 && i % 50 === 49) await sleep((rampMs * 50) / add);
    }
  }

  async stop(): Promise<void> {
    for (const v of this.viewers) v.stop();
    await Promise.all(this.runs);
    this.viewers.length = 0;
    this.runs.length = 0;
  }
}
