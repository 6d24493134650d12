// What a simulated viewer reads from HLS playlists and a DASH MPD: only the tags it acts on. Hand-written line
// scans rather than a full parser (m3u8-parser, fast-xml-parser): the load generator parses thousands of playlists a
// second on one core, and these read what every player reads whatever the server (ours or ffmpeg's files on nginx).

export interface HlsUnit {
  msn: number;
  /** Part index within its segment; undefined for a whole segment. */
  part?: number;
  uri: string;
  durationS: number;
}

export interface MediaPlaylistView {
  targetDuration: number;
  canBlockReload: boolean;
  lowLatency: boolean;
  segments: HlsUnit[];
  parts: HlsUnit[];
  /** The part being made (the preload hint), as msn + index. */
  next?: { msn: number; part: number };
  /** CAN-SKIP-UNTIL: the Skip Boundary, s (0: the playlist offers no delta updates). */
  canSkipUntil: number;
  /** EXT-X-SKIP's SKIPPED-SEGMENTS: how many segments this delta update left out (0 in a full playlist). */
  skipped: number;
}

const attr = (line: string, name: string): string | undefined => {
  const m = new RegExp(`(?:^|[:,])${name}=("([^"]*)"|[^,]*)`).exec(line);
  return m ? (m[2] ?? m[1]) : undefined;
};

/** The media playlists a multivariant playlist names: the first variant and every rendition with a URI. */
export function variantUris(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n').map((l) => l.trim());
  let variant: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('#EXT-X-MEDIA:')) {
      const uri = attr(lines[i], 'URI');
      if (uri) out.push(uri);
    } else if (lines[i].startsWith('#EXT-X-STREAM-INF:') && variant === undefined) {
      variant = lines[i + 1];
    }
  }
  if (variant) out.unshift(variant);
  return out;
}

export function parseMediaPlaylist(text: string): MediaPlaylistView {
  const view: MediaPlaylistView = { targetDuration: 1, canBlockReload: false, lowLatency: false, segments: [], parts: [], canSkipUntil: 0, skipped: 0 };
  let msn = 0;
  let partIndex = 0;
  let duration = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.charCodeAt(0) !== 35 /* # */) {
      view.segments.push({ msn, uri: line, durationS: duration });
      msn++;
      partIndex = 0;
      continue;
    }
    if (line.startsWith('#EXTINF:')) duration = parseFloat(line.slice(8));
    else if (line.startsWith('#EXT-X-PART:')) {
      view.parts.push({ msn, part: partIndex++, uri: attr(line, 'URI') ?? '', durationS: parseFloat(attr(line, 'DURATION') ?? '0') });
    } else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) msn = parseInt(line.slice(22), 10);
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) view.targetDuration = parseFloat(line.slice(22));
    else if (line.startsWith('#EXT-X-SERVER-CONTROL:')) {
      view.canBlockReload = attr(line, 'CAN-BLOCK-RELOAD') === 'YES';
      view.canSkipUntil = parseFloat(attr(line, 'CAN-SKIP-UNTIL') ?? '0') || 0;
    } else if (line.startsWith('#EXT-X-SKIP:')) {
      view.skipped = parseInt(attr(line, 'SKIPPED-SEGMENTS') ?? '0', 10) || 0;
      msn += view.skipped; // the first segment listed after it
    }
    else if (line.startsWith('#EXT-X-PART-INF:')) view.lowLatency = true;
    else if (line.startsWith('#EXT-X-PRELOAD-HINT:') && attr(line, 'TYPE') === 'PART') view.next = { msn, part: partIndex };
  }
  return view;
}

export interface DashRepresentation {
  id: string;
  timescale: number;
  /** Segment duration, in the timescale. */
  duration: number;
  startNumber: number;
  media: string;
  availabilityTimeOffsetS: number;
}

export interface MpdView {
  availabilityStartMs: number;
  representations: DashRepresentation[];
}

/** A dynamic MPD with number-based SegmentTemplates, one per Representation (the shape livelab and ffmpeg write). */
export function parseMpd(text: string): MpdView {
  const ast = /availabilityStartTime="([^"]+)"/.exec(text)?.[1];
  const reps: DashRepresentation[] = [];
  const re = /<Representation\b([^>]*)>([\s\S]*?)<\/Representation>/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const id = /\bid="([^"]*)"/.exec(m[1])?.[1] ?? '';
    const tmpl = /<SegmentTemplate\b([^>]*)\/?>/.exec(m[2])?.[1] ?? '';
    const a = (n: string) => new RegExp(`\\b${n}="([^"]*)"`).exec(tmpl)?.[1];
    reps.push({
      id,
      timescale: Number(a('timescale') ?? 1),
      duration: Number(a('duration') ?? 0),
      startNumber: Number(a('startNumber') ?? 1),
      media: (a('media') ?? '').replace(/&amp;/g, '&'),
      availabilityTimeOffsetS: Number(a('availabilityTimeOffset') ?? 0),
    });
  }
  return { availabilityStartMs: ast ? Date.parse(ast) : NaN, representations: reps };
}

/** $RepresentationID$ and $Number$ / $Number%0Nd$ expanded. */
export function expandTemplate(template: string, id: string, n: number): string {
  return template.replace(/\$RepresentationID\$/g, id).replace(/\$Number(?:%0(\d+)d)?\$/g, (_m, w?: string) => String(n).padStart(Number(w ?? 0), '0'));
}

/** A URI relative to the document at `base` (a path), as a path. */
export function resolvePath(base: string, uri: string): string {
  if (uri.startsWith('/')) return uri;
  if (/^https?:\/\//.test(uri)) return new URL(uri).pathname + new URL(uri).search;
  return base.slice(0, base.lastIndexOf('/') + 1) + uri;
}
