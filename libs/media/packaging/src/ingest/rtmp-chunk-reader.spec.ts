import fc from 'fast-check';
import { RtmpChunkReader, RtmpProtocolError, type ChunkReaderLimits, type RtmpMessage } from './rtmp-chunk-reader';

const SEED = 1104;
const limits = (over: Partial<ChunkReaderLimits> = {}): ChunkReaderLimits => ({
  maxChunkSize: 65_536,
  maxChunkStreams: 16,
  maxMessageBytes: () => 1 << 20,
  maxHeldBytes: () => 2 << 20,
  ...over,
});

function read(bytes: Buffer[], l = limits()): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  const r = new RtmpChunkReader(l, (m) => out.push({ ...m, payload: Buffer.from(m.payload) }));
  for (const b of bytes) r.push(b);
  return out;
}

const basic = (fmt: number, cid: number) =>
  cid < 64 ? Buffer.from([(fmt << 6) | cid]) : cid < 320 ? Buffer.from([fmt << 6, cid - 64]) : Buffer.from([(fmt << 6) | 1, (cid - 64) & 0xff, (cid - 64) >> 8]);
const be = (n: number, bytes: number) => {
  const b = Buffer.alloc(bytes);
  b.writeUIntBE(n, 0, bytes);
  return b;
};

/** A writer like ffmpeg's: type 0 for a chunk stream's first message, then 1/2/3 when they fit; extended
 * timestamps repeated on type 3 chunks; a Set Chunk Size first. */
function write(messages: Array<Omit<RtmpMessage, 'timestamp'> & { delta: number }>, chunkSize: number): { bytes: Buffer; expected: RtmpMessage[] } {
  const parts: Buffer[] = [basic(0, 2), be(0, 3), be(4, 3), Buffer.from([1]), Buffer.alloc(4), be(chunkSize, 4)];
  const prev = new Map<number, { length: number; type: number; streamId: number; delta: number; ts: number; ext?: number }>();
  const expected: RtmpMessage[] = [];
  for (const m of messages) {
    const p = prev.get(m.cid);
    const ts = p ? (p.ts + m.delta) >>> 0 : m.delta;
    let fmt = 0;
    if (p && p.streamId === m.streamId) fmt = p.type === m.type && p.length === m.payload.length ? (p.delta === m.delta ? 3 : 2) : 1;
    const field = fmt === 0 ? ts : m.delta;
    // The 4 extended bytes repeated on this message's type 3 chunks (those of the last type 0/1/2 header).
    const ext = fmt === 3 ? p?.ext : field >= 0xffffff ? field : undefined;
    const extBytes = ext === undefined ? [] : [be(ext, 4)];
    const head: Buffer[] = [basic(fmt, m.cid)];
    if (fmt <= 2) head.push(be(field >= 0xffffff ? 0xffffff : field, 3));
    if (fmt <= 1) head.push(be(m.payload.length, 3), Buffer.from([m.type]));
    if (fmt === 0) {
      const sid = Buffer.alloc(4);
      sid.writeUInt32LE(m.streamId);
      head.push(sid);
    }
    parts.push(...head, ...extBytes);
    for (let off = 0; off < m.payload.length; off += chunkSize) {
      if (off) parts.push(basic(3, m.cid), ...extBytes);
      parts.push(m.payload.subarray(off, off + chunkSize));
    }
    const delta = fmt === 0 ? ts : fmt === 3 ? (p as { delta: number }).delta : m.delta;
    prev.set(m.cid, { length: m.payload.length, type: m.type, streamId: m.streamId, delta, ts, ext });
    expected.push({ cid: m.cid, type: m.type, streamId: m.streamId, timestamp: ts, payload: m.payload });
  }
  return { bytes: Buffer.concat(parts), expected };
}

describe('RtmpChunkReader', () => {
  it('de-chunks what an ffmpeg-like writer sends, however the bytes are split across reads', () => {
    const message = fc.record({
      cid: fc.constantFrom(3, 4, 6, 8, 70, 400),
      type: fc.constantFrom(8, 9, 18, 20),
      streamId: fc.constantFrom(0, 1),
      delta: fc.oneof(fc.constantFrom(0, 21, 33, 0xfffffe, 0xffffff, 0x1000000), fc.nat(100)),
      payload: fc.uint8Array({ maxLength: 9000 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), fc.constantFrom(128, 4096, 60_000, 1), fc.array(fc.nat(), { maxLength: 8 }), (messages, chunkSize, cuts) => {
        const { bytes, expected } = write(messages, chunkSize);
        const points = [0, ...new Set(cuts.map((c) => c % (bytes.length + 1))), bytes.length].sort((a, b) => a - b);
        const pieces = points.slice(1).map((end, i) => bytes.subarray(points[i], end));
        expect(read(pieces)).toEqual(expected);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('on any bytes: throws only RtmpProtocolError, and never holds more than its cap', () => {
    const cap = 64 * 1024;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 2000 }), { maxLength: 20 }), (reads) => {
        const r = new RtmpChunkReader(limits({ maxMessageBytes: () => 64 * 1024, maxHeldBytes: () => cap }), () => undefined);
        try {
          for (const b of reads) {
            r.push(Buffer.from(b));
            expect(r.heldBytes()).toBeLessThanOrEqual(cap);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(RtmpProtocolError);
        }
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('refuses a 16 MiB message from its header alone, holding nothing', () => {
    const r = new RtmpChunkReader(limits({ maxMessageBytes: () => 4 << 20 }), () => undefined);
    expect(() => r.push(Buffer.concat([basic(0, 4), be(0, 3), be(0xffffff, 3), Buffer.from([9]), Buffer.alloc(4)]))).toThrow(/16777215 bytes \(type 9\) exceeds 4194304/);
    expect(r.heldBytes()).toBe(0);
  });

  it('holds what arrived (from 64 KiB up), not what was declared', () => {
    const r = new RtmpChunkReader(limits(), () => undefined);
    r.push(Buffer.concat([basic(0, 2), be(0, 3), be(4, 3), Buffer.from([1]), Buffer.alloc(4), be(65_536, 4)]));
    r.push(Buffer.concat([basic(0, 4), be(0, 3), be(1 << 20, 3), Buffer.from([9]), Buffer.alloc(4), Buffer.alloc(1000)]));
    expect(r.heldBytes()).toBe(64 * 1024); // declared 1 MiB, 1000 bytes sent
    r.push(Buffer.alloc(64 * 1024 - 1000)); // the first 64 KiB chunk is complete
    expect(r.heldBytes()).toBe(64 * 1024);
    r.push(Buffer.from([0xc4, 0])); // a type 3 chunk with one more byte
    expect(r.heldBytes()).toBe(128 * 1024);
  });

  it.each([
    ['a type 1 header on a new chunk stream', Buffer.concat([basic(1, 5), be(0, 3), be(1, 3), Buffer.from([20])]), /chunk stream 5 starts with a type 1 header/],
    ['Set Chunk Size 0', Buffer.concat([basic(0, 2), be(0, 3), be(4, 3), Buffer.from([1]), Buffer.alloc(4), Buffer.alloc(4)]), /Set Chunk Size 0 outside/],
    ['Set Chunk Size of 3 bytes', Buffer.concat([basic(0, 2), be(0, 3), be(3, 3), Buffer.from([1]), Buffer.alloc(4), Buffer.alloc(3)]), /Set Chunk Size with 3 bytes/],
    ['a 17th chunk stream', Buffer.concat(Array.from({ length: 17 }, (_, i) => Buffer.concat([basic(0, 3 + i), be(0, 3), be(0, 3), Buffer.from([20]), Buffer.alloc(4)]))), /more than 16 chunk streams/],
  ])('refuses %s', (_n, bytes, message) => {
    expect(() => read([bytes])).toThrow(message);
  });

  it('drops an aborted message', () => {
    const out = read([
      Buffer.concat([basic(0, 4), be(0, 3), be(300, 3), Buffer.from([9]), Buffer.alloc(4), Buffer.alloc(128, 1)]),
      Buffer.concat([basic(0, 2), be(0, 3), be(4, 3), Buffer.from([2]), Buffer.alloc(4), be(4, 4)]),
      Buffer.concat([basic(0, 4), be(7, 3), be(2, 3), Buffer.from([9]), Buffer.alloc(4), Buffer.from([5, 6])]),
    ]);
    expect(out).toEqual([{ cid: 4, type: 9, streamId: 0, timestamp: 7, payload: Buffer.from([5, 6]) }]);
  });
});
