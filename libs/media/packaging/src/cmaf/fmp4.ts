// Just enough ISO-BMFF (fragmented MP4 / CMAF) reading for the low-latency packager: split an upload into
// top-level boxes as bytes arrive, read a track's codec and timescale from its init segment, and read a fragment's
// timing (decode time, duration, first sample a keyframe?) from its `moof`. Hand-written: a handful of fixed-layout
// boxes on the packager's hot path (every fragment); ffprobe and mp4box are the oracles in the tests. The only box
// rewritten is an init segment's leading empty edit (withoutEmptyEdit), which the store moves into the decode times.

export interface Box {
  type: string;
  /** The whole box, header included. */
  bytes: Buffer;
}

/** Largest top-level box accepted from an upload (a 200 ms fragment of 50 Mbit/s video is ~1.3 MB). */
export const MAX_BOX_BYTES = 32 * 1024 * 1024;

/**
 * Splits a byte stream into complete top-level boxes. Bytes may arrive in any pieces; `push` returns the boxes
 * completed by this piece. Throws on a malformed or oversized box header (the upload is then dropped).
 */
export class BoxSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** `maxBox`: the largest box accepted (at most MAX_BOX_BYTES); a header announcing more throws at once. */
  constructor(private readonly maxBox = MAX_BOX_BYTES) {}

  push(piece: Buffer): Box[] {
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    const out: Box[] = [];
    for (;;) {
      if (this.pendingBytes < 8) break;
      const head = this.peek(16);
      let size = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (!/^[a-zA-Z0-9 ]{4}$/.test(type)) throw new Error(`malformed MP4: box type ${JSON.stringify(type)}`);
      if (size === 1) {
        if (this.pendingBytes < 16) break;
        size = Number(head.readBigUInt64BE(8));
      }
      if (size < 8) throw new Error(`malformed MP4: ${type} box of ${size} bytes`);
      if (size > Math.min(this.maxBox, MAX_BOX_BYTES)) throw new Error(`MP4 ${type} box of ${size} bytes is larger than ${Math.min(this.maxBox, MAX_BOX_BYTES)}`);
      if (this.pendingBytes < size) break;
      const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
      out.push({ type, bytes: all.subarray(0, size) });
      const rest = all.subarray(size);
      this.pending = rest.length ? [rest] : [];
      this.pendingBytes = rest.length;
    }
    return out;
  }

  /** Bytes received that do not yet form a complete box. */
  get leftover(): number {
    return this.pendingBytes;
  }

  /**
   * The pending bytes with at least the first `n` (or all there are) in one buffer. Joins only the leading pieces a
   * header spans, and keeps the join: copying every pending piece on every push was quadratic in the number of
   * pieces (a 32 kB box sent a byte at a time took 8 s).
   */
  private peek(n: number): Buffer {
    if (this.pending[0].length < n && this.pending.length > 1) {
      let k = 0;
      let got = 0;
      while (k < this.pending.length && got < n) got += this.pending[k++].length;
      this.pending.splice(0, k, Buffer.concat(this.pending.slice(0, k), got));
    }
    return this.pending[0];
  }
}

/** Children of a container box's payload region [start, end). */
function* children(b: Buffer, start: number, end: number): Generator<{ type: string; start: number; payload: number; end: number }> {
  let p = start;
  while (p + 8 <= end) {
    let size = b.readUInt32BE(p);
    const type = b.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      size = Number(b.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) size = end - p;
    if (size < header || p + size > end) throw new Error(`malformed MP4: ${type} box overruns its parent`);
    yield { type, start: p, payload: p + header, end: p + size };
    p += size;
  }
}

function find(b: Buffer, start: number, end: number, path: string[]): { payload: number; end: number; start: number } | undefined {
  let region = { start, payload: start, end };
  for (const type of path) {
    const next = [...children(b, region.payload, region.end)].find((c) => c.type === type);
    if (!next) return undefined;
    region = next;
  }
  return region;
}

export interface TrackInfo {
  kind: 'video' | 'audio';
  trackId: number;
  timescale: number;
  /** RFC 6381 codec string, e.g. avc1.64001f or mp4a.40.2 */
  codec: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  /** trex default sample duration/flags, used when a fragment leaves them out. */
  defaultSampleDuration: number;
  defaultSampleFlags: number;
  /**
   * What the track's leading empty edit (an elst entry with media_time −1) adds to its decode times, in the track's
   * timescale: the edit's length less the media_time the next entry starts at (a first sample's composition offset);
   * 0 when there is none. FFmpeg's movenc writes such an edit when a track's first decode time is not 0 (with
   * `-copyts`, or when one track starts after another) and then writes every tfdt relative to that first time. A
   * player that honours edit lists (Safari, ffmpeg) presents the samples that much later; MSE players (hls.js,
   * dash.js in Chromium) ignore the empty edit and play the track early by it — the ladder's audio, a remux of its
   * own, came 80–320 ms before its video (issue 15).
   */
  editShiftTicks: number;
}

/** Reads the first track of an init segment (ftyp + moov). Throws when it is not one. */
export function parseInitSegment(init: Buffer): TrackInfo {
  const trak = find(init, 0, init.length, ['moov', 'trak']);
  if (!trak) throw new Error('not an init segment: no moov/trak');
  const tkhd = find(init, trak.payload, trak.end, ['tkhd']);
  const mdhd = find(init, trak.payload, trak.end, ['mdia', 'mdhd']);
  const hdlr = find(init, trak.payload, trak.end, ['mdia', 'hdlr']);
  const stsd = find(init, trak.payload, trak.end, ['mdia', 'minf', 'stbl', 'stsd']);
  if (!tkhd || !mdhd || !hdlr || !stsd) throw new Error('not an init segment: incomplete trak');
  const trackId = init.readUInt32BE(tkhd.payload + (init[tkhd.payload] === 1 ? 20 : 12));
  const timescale = init.readUInt32BE(mdhd.payload + (init[mdhd.payload] === 1 ? 20 : 12));
  const handler = init.toString('latin1', hdlr.payload + 8, hdlr.payload + 12);
  const trex = find(init, 0, init.length, ['moov', 'mvex', 'trex']);
  const defaultSampleDuration = trex ? init.readUInt32BE(trex.payload + 12) : 0;
  const defaultSampleFlags = trex ? init.readUInt32BE(trex.payload + 20) : 0;
  const entry = [...children(init, stsd.payload + 8, stsd.end)][0];
  if (!entry) throw new Error('not an init segment: empty stsd');
  const edit = leadingEmptyEdit(init, trak);
  const mvhd = find(init, 0, init.length, ['moov', 'mvhd']);
  const movieTimescale = mvhd ? init.readUInt32BE(mvhd.payload + (init[mvhd.payload] === 1 ? 20 : 12)) : 0;
  // The edit's length is in whole ms (movie timescale 1000 from FFmpeg, rounded down): within a tick or so of the
  // first decode time it stands for.
  const editShiftTicks = edit && movieTimescale > 0 ? Math.max(0, Math.round((edit.duration * timescale) / movieTimescale) - edit.nextMediaTime) : 0;
  const common = { trackId, timescale, defaultSampleDuration, defaultSampleFlags, editShiftTicks };
  if (handler === 'vide') {
    const width = init.readUInt16BE(entry.payload + 24);
    const height = init.readUInt16BE(entry.payload + 26);
    let codec = entry.type;
    const avcC = [...children(init, entry.payload + 78, entry.end)].find((c) => c.type === 'avcC');
    if (avcC) codec = `${entry.type}.${init.subarray(avcC.payload + 1, avcC.payload + 4).toString('hex')}`;
    return { kind: 'video', codec, width, height, ...common };
  }
  if (handler === 'soun') {
    const channels = init.readUInt16BE(entry.payload + 16);
    const sampleRate = init.readUInt32BE(entry.payload + 24) >>> 16;
    let codec = entry.type;
    const esds = [...children(init, entry.payload + 28, entry.end)].find((c) => c.type === 'esds');
    if (esds) {
      const oti = esdsObjectType(init.subarray(esds.payload + 4, esds.end));
      if (oti) codec = `${entry.type}.${oti.objectType.toString(16)}${oti.audioObjectType ? `.${oti.audioObjectType}` : ''}`;
    }
    return { kind: 'audio', codec, sampleRate, channels, ...common };
  }
  throw new Error(`unsupported track handler "${handler}"`);
}

interface EmptyEdit {
  /** In the movie timescale (mvhd). */
  duration: number;
  /** media_time of the entry after it (track timescale; 0 when none or itself empty). */
  nextMediaTime: number;
  /** Byte offsets in the init: the elst box, its first entry, one entry's size. */
  elst: { start: number; payload: number; end: number };
  entrySize: number;
  count: number;
}

/** The first trak's elst when its first entry is an empty edit (media_time −1). */
function leadingEmptyEdit(init: Buffer, trak: { payload: number; end: number }): EmptyEdit | undefined {
  const elst = find(init, trak.payload, trak.end, ['edts', 'elst']);
  // A 64-bit box header on an elst is legal but absurd: left alone (withoutEmptyEdit rewrites 32-bit sizes only).
  if (!elst || elst.payload - elst.start !== 8 || elst.payload + 8 > elst.end) return undefined;
  const version = init[elst.payload];
  const count = init.readUInt32BE(elst.payload + 4);
  const entrySize = version === 1 ? 20 : 12;
  if (count < 1 || elst.payload + 8 + count * entrySize > elst.end) return undefined;
  const at = elst.payload + 8;
  const duration = (k: number) => (version === 1 ? Number(init.readBigUInt64BE(at + k * entrySize)) : init.readUInt32BE(at + k * entrySize));
  const mediaTime = (k: number) => (version === 1 ? Number(init.readBigInt64BE(at + k * entrySize + 8)) : init.readInt32BE(at + k * entrySize + 4));
  if (mediaTime(0) !== -1) return undefined;
  const nextMediaTime = count > 1 ? Math.max(0, mediaTime(1)) : 0;
  return { duration: duration(0), nextMediaTime, elst, entrySize, count };
}

/**
 * The init segment without its first track's leading empty edit (a copy; the same bytes when there is none): the
 * elst loses that entry, the next one starts at media time 0, and a `free` box takes the entry's bytes, so no box
 * size changes. The store adds the shift to the track's decode times instead (TrackInfo.editShiftTicks), so players
 * that honour edit lists and players that do not present the track alike.
 */
export function withoutEmptyEdit(init: Buffer): Buffer {
  const trak = find(init, 0, init.length, ['moov', 'trak']);
  const edit = trak && leadingEmptyEdit(init, trak);
  if (!edit) return init;
  const { elst, entrySize } = edit;
  const out = Buffer.from(init);
  const first = elst.payload + 8;
  out.writeUInt32BE(edit.count - 1, elst.payload + 4);
  out.copy(out, first, first + entrySize, elst.end); // the later entries (and any trailing bytes) move up one entry
  if (edit.count > 1) {
    // media_time of the entry now first: 0 (its trim is in the shifted decode times now).
    if (entrySize === 20) out.writeBigInt64BE(0n, first + 8);
    else out.writeInt32BE(0, first + 4);
  }
  out.writeUInt32BE(elst.end - entrySize - elst.start, elst.start);
  const free = elst.end - entrySize;
  out.fill(0, free, elst.end);
  out.writeUInt32BE(entrySize, free);
  out.write('free', free + 4, 'latin1');
  return out;
}

/** objectTypeIndication and (for AAC) the audio object type from an ES_Descriptor. */
function esdsObjectType(d: Buffer): { objectType: number; audioObjectType?: number } | undefined {
  // Descriptors: tag (1 byte), size (1–4 bytes of 7 bits), body.
  const read = (p: number): { tag: number; body: number; end: number } => {
    const tag = d[p++];
    let size = 0;
    for (let i = 0; i < 4; i++) {
      const b = d[p++];
      size = (size << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, body: p, end: p + size };
  };
  const es = read(0);
  if (es.tag !== 3) return undefined;
  const flags = d[es.body + 2];
  let p = es.body + 3;
  if (flags & 0x80) p += 2;
  if (flags & 0x40) p += 1 + d[p];
  if (flags & 0x20) p += 2;
  const dc = read(p);
  if (dc.tag !== 4) return undefined;
  const objectType = d[dc.body];
  const dsi = dc.body + 13 < dc.end ? read(dc.body + 13) : undefined;
  const audioObjectType = dsi && dsi.tag === 5 ? d[dsi.body] >> 3 : undefined;
  return { objectType, audioObjectType };
}

export interface FragmentTiming {
  /** tfdt of the first track fragment, in the track's timescale. */
  baseDecodeTime: number;
  /** Sum of the sample durations, in the track's timescale. */
  duration: number;
  sampleCount: number;
  /** The first sample is a sync sample (a keyframe; every audio sample is). */
  independent: boolean;
  /** Byte offset of the tfdt value within the moof, and its size (version 1: 64 bits), for rewriting it. */
  tfdtAt?: number;
  tfdtVersion?: number;
}

const NON_SYNC = 0x00010000;

/** Timing of the fragment a `moof` describes (first traf only: one track per representation). */
export function parseMoof(moof: Buffer, track: Pick<TrackInfo, 'defaultSampleDuration' | 'defaultSampleFlags'>): FragmentTiming {
  const traf = find(moof, 0, moof.length, ['moof', 'traf']);
  if (!traf) throw new Error('malformed moof: no traf');
  let defaultDuration = track.defaultSampleDuration;
  let defaultFlags = track.defaultSampleFlags;
  let baseDecodeTime = 0;
  let duration = 0;
  let sampleCount = 0;
  let firstFlags: number | undefined;
  let tfdtAt: number | undefined;
  let tfdtVersion: number | undefined;
  for (const box of children(moof, traf.payload, traf.end)) {
    const p = box.payload;
    if (box.type === 'tfhd') {
      const flags = moof.readUInt32BE(p) & 0xffffff;
      let q = p + 8;
      if (flags & 0x1) q += 8;
      if (flags & 0x2) q += 4;
      if (flags & 0x8) {
        defaultDuration = moof.readUInt32BE(q);
        q += 4;
      }
      if (flags & 0x10) q += 4;
      if (flags & 0x20) defaultFlags = moof.readUInt32BE(q);
    } else if (box.type === 'tfdt') {
      tfdtVersion = moof[p];
      tfdtAt = p + 4;
      if (tfdtAt + (tfdtVersion === 1 ? 8 : 4) > box.end) throw new Error('malformed tfdt: shorter than its version needs');
      baseDecodeTime = tfdtVersion === 1 ? Number(moof.readBigUInt64BE(tfdtAt)) : moof.readUInt32BE(tfdtAt);
    } else if (box.type === 'trun') {
      const flags = moof.readUInt32BE(p) & 0xffffff;
      const count = moof.readUInt32BE(p + 4);
      let q = p + 8;
      if (flags & 0x1) q += 4;
      let first: number | undefined;
      if (flags & 0x4) {
        first = moof.readUInt32BE(q);
        q += 4;
      }
      const perSample = [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length * 4;
      if (q + count * perSample > box.end) throw new Error('malformed trun: samples overrun the box');
      // With no per-sample fields the count is not bounded by the box: a fragment holds tens of samples.
      if (count > 100_000) throw new Error(`malformed trun: ${count} samples`);
      for (let i = 0; i < count; i++) {
        let r = q + i * perSample;
        if (r + perSample > box.end) throw new Error('malformed trun: samples overrun the box');
        const sampleDuration = flags & 0x100 ? moof.readUInt32BE(r) : defaultDuration;
        if (flags & 0x100) r += 4;
        if (flags & 0x200) r += 4;
        const sampleFlags = flags & 0x400 ? moof.readUInt32BE(r) : undefined;
        if (sampleCount === 0 && i === 0) firstFlags = first ?? sampleFlags ?? defaultFlags;
        duration += sampleDuration;
      }
      sampleCount += count;
    }
  }
  const independent = sampleCount > 0 && !((firstFlags ?? defaultFlags) & NON_SYNC);
  return { baseDecodeTime, duration, sampleCount, independent, tfdtAt, tfdtVersion };
}
