// The RTMP chunk stream (RTMP 1.0 spec §5.3), de-chunked from untrusted bytes with every quantity bounded.
// Hand-written rather than node-media-server's parser: that one allocates each message's full declared length when
// its first header arrives (16 MiB on each of many chunk streams from a few bytes), keeps a buffer per chunk stream
// id ever seen, takes any Set Chunk Size (0 included) and reads 3-byte chunk stream ids wrongly. The scope is small
// (basic + message headers, extended timestamps, Set Chunk Size, Abort) and this runs on every media byte, so a
// tight loop of our own is both simpler to audit and faster than a general parser.
//
// Memory: a message's payload is copied into a buffer of its declared length when that is ≤ 64 KiB, else into one
// grown by doubling as bytes actually arrive (a 16 MiB header costs nothing by itself); the declared length is
// checked against the limit first, and the sum of the buffers' capacities is `heldBytes()`, capped by
// `maxHeldBytes`.
// Compatible with real publishers: ffmpeg (chunk size 4096, type 1-3 headers, extended timestamps repeated on type
// 3 chunks, as the spec and ffmpeg do), OBS/librtmp.

export class RtmpProtocolError extends Error {}

export interface RtmpMessage {
  cid: number;
  type: number;
  streamId: number;
  /** Absolute timestamp, ms, modulo 2^32. */
  timestamp: number;
  payload: Buffer;
}

export interface ChunkReaderLimits {
  /** Largest chunk size a peer may set. */
  maxChunkSize: number;
  /** Chunk stream ids a connection may use. */
  maxChunkStreams: number;
  /** Largest message of a type (checked against the declared length, before any payload is read). */
  maxMessageBytes: (type: number) => number;
  /** Bytes buffered for unfinished messages across all chunk streams (may change as the connection goes on). */
  maxHeldBytes: () => number;
}

interface ChunkStream {
  timestampField: number; // the last 3-byte timestamp field (0xffffff: extended timestamps follow)
  delta: number;
  timestamp: number;
  length: number;
  type: number;
  streamId: number;
  buf?: Buffer; // unfinished message
  received: number;
}

export const RTMP_SET_CHUNK_SIZE = 1;
export const RTMP_ABORT = 2;

const HEADER_SIZE = [11, 7, 3, 0];
const SMALL_MESSAGE = 64 * 1024;

export class RtmpChunkReader {
  private chunkSize = 128;
  private readonly streams = new Map<number, ChunkStream>();
  private held = 0;
  // Header being read (it may straddle reads): at most 3 basic + 11 message + 4 extended timestamp bytes.
  private readonly hdr = Buffer.alloc(18);
  private hdrLen = 0;
  // Payload of the current chunk still to come, and its chunk stream.
  private payloadLeft = 0;
  private current?: ChunkStream;
  private currentCid = 0;

  constructor(
    private readonly limits: ChunkReaderLimits,
    private readonly onMessage: (m: RtmpMessage) => void,
  ) {}

  /** Bytes held in unfinished messages. */
  heldBytes(): number {
    return this.held;
  }

  get inChunkSize(): number {
    return this.chunkSize;
  }

  /** Feeds bytes; calls onMessage for each complete message. Throws RtmpProtocolError. */
  push(data: Buffer): void {
    let pos = 0;
    while (pos < data.length) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, data.length - pos);
        this.append(this.current as ChunkStream, data, pos, n);
        pos += n;
        this.payloadLeft -= n;
        if (this.payloadLeft === 0) this.chunkDone();
        continue;
      }
      this.hdr[this.hdrLen++] = data[pos++];
      const need = this.headerLength();
      if (need !== undefined && this.hdrLen === need) {
        this.hdrLen = 0;
        this.startChunk();
      }
    }
  }

  /** Total header length once enough of it is known to tell; undefined while it is not. */
  private headerLength(): number | undefined {
    const b0 = this.hdr[0];
    const low = b0 & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    if (this.hdrLen < basic) return undefined;
    const fmt = b0 >> 6;
    const base = basic + HEADER_SIZE[fmt];
    if (this.hdrLen < base) return undefined;
    let field: number;
    if (fmt === 3) {
      const s = this.streams.get(this.cid(basic));
      field = s ? s.timestampField : 0;
    } else field = this.hdr.readUIntBE(basic, 3);
    return field === 0xffffff ? base + 4 : base;
  }

  private cid(basic: number): number {
    if (basic === 1) return this.hdr[0] & 0x3f;
    if (basic === 2) return 64 + this.hdr[1];
    return 64 + this.hdr[1] + this.hdr[2] * 256;
  }

  private startChunk(): void {
    const b0 = this.hdr[0];
    const low = b0 & 0x3f;
    const basic = low === 0 ? 2 : low === 1 ? 3 : 1;
    const fmt = b0 >> 6;
    const cid = this.cid(basic);
    let s = this.streams.get(cid);
    if (!s) {
      if (fmt !== 0) throw new RtmpProtocolError(`chunk stream ${cid} starts with a type ${fmt} header`);
      if (this.streams.size >= this.limits.maxChunkStreams) throw new RtmpProtocolError(`more than ${this.limits.maxChunkStreams} chunk streams`);
      s = { timestampField: 0, delta: 0, timestamp: 0, length: 0, type: 0, streamId: 0, received: 0 };
      this.streams.set(cid, s);
    }
    const inProgress = s.received > 0;
    if (fmt !== 3 && inProgress) throw new RtmpProtocolError(`type ${fmt} header on chunk stream ${cid} in the middle of a message`);
    let o = basic;
    if (fmt <= 2) {
      s.timestampField = this.hdr.readUIntBE(o, 3);
      o += 3;
    }
    if (fmt <= 1) {
      s.length = this.hdr.readUIntBE(o, 3);
      s.type = this.hdr[o + 3];
      o += 4;
    }
    if (fmt === 0) {
      s.streamId = this.hdr.readUInt32LE(o);
      o += 4;
    }
    const ext = s.timestampField === 0xffffff ? this.hdr.readUInt32BE(o) : s.timestampField;
    if (!inProgress) {
      // A new message: fmt 0 carries the absolute time, fmt 1/2 a delta, fmt 3 repeats the last delta (after a
      // type 0 header that is its timestamp, §5.3.1.2.4).
      if (fmt === 0) {
        s.timestamp = ext;
        s.delta = ext;
      } else {
        if (fmt !== 3) s.delta = ext;
        s.timestamp = (s.timestamp + s.delta) >>> 0;
      }
      const max = this.limits.maxMessageBytes(s.type);
      if (s.length > max) throw new RtmpProtocolError(`message of ${s.length} bytes (type ${s.type}) exceeds ${max}`);
      s.received = 0;
    }
    this.current = s;
    this.currentCid = cid;
    this.payloadLeft = Math.min(this.chunkSize - (s.received % this.chunkSize), s.length - s.received);
    if (this.payloadLeft === 0) this.chunkDone(); // an empty message
  }

  private append(s: ChunkStream, data: Buffer, pos: number, n: number): void {
    const need = s.received + n;
    if (!s.buf || s.buf.length < need) {
      // Small messages (commands, most audio) get their whole length at once — it is already checked against the
      // limits and counted in heldBytes; large ones grow by doubling from 64 KiB as their bytes arrive.
      const cap = s.length <= SMALL_MESSAGE ? s.length : Math.min(s.length, Math.max(need, (s.buf?.length ?? 0) * 2, SMALL_MESSAGE));
      const grown = this.held - (s.buf?.length ?? 0) + cap;
      const max = this.limits.maxHeldBytes();
      if (grown > max) throw new RtmpProtocolError(`more than ${max} bytes held in unfinished messages`);
      const buf = Buffer.allocUnsafe(cap);
      s.buf?.copy(buf, 0, 0, s.received);
      s.buf = buf;
      this.held = grown;
    }
    data.copy(s.buf, s.received, pos, pos + n);
    s.received = need;
  }

  private chunkDone(): void {
    const s = this.current as ChunkStream;
    this.current = undefined;
    if (s.received < s.length) return; // more chunks of this message follow
    const payload = s.buf ? s.buf.subarray(0, s.length) : Buffer.alloc(0);
    this.held -= s.buf?.length ?? 0;
    s.buf = undefined;
    s.received = 0;
    const m: RtmpMessage = { cid: this.currentCid, type: s.type, streamId: s.streamId, timestamp: s.timestamp, payload };
    if (m.type === RTMP_SET_CHUNK_SIZE) return this.setChunkSize(payload);
    if (m.type === RTMP_ABORT) return this.abort(payload);
    this.onMessage(m);
  }

  private setChunkSize(p: Buffer): void {
    if (p.length !== 4) throw new RtmpProtocolError(`Set Chunk Size with ${p.length} bytes (expected 4)`);
    const size = p.readUInt32BE(0);
    if (size < 1 || size > this.limits.maxChunkSize) throw new RtmpProtocolError(`Set Chunk Size ${size} outside 1-${this.limits.maxChunkSize}`);
    this.chunkSize = size;
  }

  private abort(p: Buffer): void {
    if (p.length !== 4) throw new RtmpProtocolError(`Abort with ${p.length} bytes (expected 4)`);
    const s = this.streams.get(p.readUInt32BE(0));
    if (s?.buf) {
      this.held -= s.buf.length;
      s.buf = undefined;
    }
    if (s) s.received = 0;
  }
}
