// The independent reader of our HLS output: hls-parser (a maintained third-party parser that knows the low-latency
// tags EXT-X-PART, -PART-INF, -PRELOAD-HINT, -SERVER-CONTROL, -RENDITION-REPORT, -SKIP) in strict mode, so every
// rule it knows (EXTINF ≤ target duration, EXT-X-VERSION, mandatory attributes, parts within three target
// durations, PART-TARGET as the longest part, one preload hint per type, …) throws. Tests read the parsed object,
// never our text, so they hold when the writers' exact strings change.
import * as HLS from 'hls-parser';

export type HlsMediaPlaylist = HLS.types.MediaPlaylist;
export type HlsMultivariantPlaylist = HLS.types.MasterPlaylist;
export type HlsSegment = HLS.types.Segment;
export type HlsPart = HLS.types.PartialSegment;

function strictParse(text: string): HLS.types.Playlist {
  const before = HLS.getOptions();
  HLS.setOptions({ strictMode: true, silent: true });
  try {
    return HLS.parse(text);
  } finally {
    HLS.setOptions(before);
  }
}

/** Lines that RFC 8216 allows but we never write, and characters it does not allow at all. */
function checkLines(text: string): void {
  if (!text.endsWith('\n')) throw new Error('playlist does not end with a newline');
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    if (line === '') throw new Error(`empty line ${i + 1}`);
    if (!/^[\x20-\x7e]+$/.test(line)) throw new Error(`control or non-ASCII character on line ${i + 1}`);
  }
}

/** A multivariant playlist, parsed strictly. */
export function parseMultivariantPlaylist(text: string): HlsMultivariantPlaylist {
  checkLines(text);
  const p = strictParse(text);
  if (!p.isMasterPlaylist) throw new Error('not a multivariant playlist');
  return p as HlsMultivariantPlaylist;
}

export interface ParsedMediaPlaylist {
  playlist: HlsMediaPlaylist;
  /** The complete segments (those with a URI line). */
  segments: HlsSegment[];
  /** EXT-X-PART tags after the last segment: the segment in progress (no preload hint). */
  trailingParts: HlsPart[];
  /** The EXT-X-PRELOAD-HINT TYPE=PART, if any. */
  preloadHint?: HlsPart;
  /** Every EXT-X-PART in playlist order (no hint). */
  allParts: HlsPart[];
}

/**
 * A media playlist, parsed strictly. hls-parser puts the parts after the last URI line (and the preload hint) in a
 * segment without a URI; that is split off here into `trailingParts` and `preloadHint`.
 */
export function parseMediaPlaylist(text: string): ParsedMediaPlaylist {
  checkLines(text);
  const p = strictParse(text);
  if (p.isMasterPlaylist) throw new Error('not a media playlist');
  const playlist = p as HlsMediaPlaylist;
  const segments = playlist.segments.filter((s) => s.uri);
  const open = playlist.segments.filter((s) => !s.uri);
  if (open.length > 1 || (open.length === 1 && open[0] !== playlist.segments.at(-1))) {
    throw new Error('parts without a segment before the last segment');
  }
  const tail = open[0]?.parts ?? [];
  const hints = [...segments.flatMap((s) => s.parts), ...tail].filter((x) => x.hint);
  if (hints.length > 1) throw new Error('more than one EXT-X-PRELOAD-HINT TYPE=PART');
  if (hints.length === 1 && tail.at(-1) !== hints[0]) throw new Error('the preload hint is not the last part listed');
  const trailingParts = tail.filter((x) => !x.hint);
  return {
    playlist,
    segments,
    trailingParts,
    preloadHint: hints[0],
    allParts: [...segments.flatMap((s) => s.parts), ...trailingParts],
  };
}

/** The media sequence number of the newest segment a media playlist lists (parsed strictly), or undefined if none. */
export function newestListedSegment(text: string): number | undefined {
  return parseMediaPlaylist(text).segments.at(-1)?.mediaSequenceNumber;
}
