import {
  AUDIO,
  boxesOf,
  generateCmaf,
  randomPieces,
  removeCmaf,
  rng,
  VIDEO,
  type CmafFiles,
  FIXTURE_ENCODE_TIMEOUT_MS,
} from '../../test/cmaf-fixtures';
import { BoxSplitter, MAX_BOX_BYTES, parseInitSegment, parseMoof, type Box, type TrackInfo } from './fmp4';

// Real CMAF from the production remux (3 s: three 1 s segments of five 200 ms fragments per track).
let files: CmafFiles;
beforeAll(async () => {
  files = await generateCmaf(3);
}, FIXTURE_ENCODE_TIMEOUT_MS);
afterAll(() => removeCmaf(files));

const init = (track: number) => files.init.get(track) as Buffer;
const segs = (track: number) => files.segments.get(track) as Buffer[];

/** A box: 32-bit size, type, payload. */
function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}
const u32 = (...v: number[]) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32BE(x >>> 0, 4 * i));
  return b;
};
/** Offset of the first box of `type` inside `b` (its size field). */
const boxAt = (b: Buffer, type: string) => {
  const i = b.indexOf(type, 0, 'latin1');
  if (i < 4) throw new Error(`no ${type}`);
  return i - 4;
};

/** The NAL unit type of the first VCL NAL (1 = non-IDR slice, 5 = IDR slice) in an mdat of 4-byte-length NALs. */
function firstSliceType(mdat: Buffer): number | undefined {
  for (let p = 8; p + 5 <= mdat.length;) {
    const len = mdat.readUInt32BE(p);
    const type = mdat[p + 4] & 0x1f;
    if (type === 1 || type === 5) return type;
    p += 4 + len;
  }
  return undefined;
}

describe('parseInitSegment on ffmpeg output', () => {
  it('reads the video track: kind, id, timescale, avc1 codec string from the avcC, size', () => {
    const buf = init(VIDEO);
    const info = parseInitSegment(buf);
    // Read the facts straight from the bytes to compare with.
    const avcC = buf.indexOf('avcC', 0, 'latin1');
    const mdhd = boxAt(buf, 'mdhd');
    const mdhdTimescale = buf.readUInt32BE(mdhd + 8 + (buf[mdhd + 8] === 1 ? 20 : 12));
    expect(info).toMatchObject({
      kind: 'video',
      trackId: 1,
      timescale: mdhdTimescale,
      width: 320,
      height: 180,
    });
    expect(info.codec).toBe(`avc1.${buf.subarray(avcC + 5, avcC + 8).toString('hex')}`);
    expect(info.codec).toMatch(/^avc1\.6400[0-9a-f]{2}$/); // High profile, no constraint flags
    expect(info.sampleRate).toBeUndefined();
    expect(info.channels).toBeUndefined();
  });

  it('reads the audio track: kind, timescale, mp4a.40.2 (AAC-LC) from the esds, rate and channels', () => {
    const info = parseInitSegment(init(AUDIO));
    expect(info).toMatchObject({
      kind: 'audio',
      trackId: 1,
      timescale: 48000,
      codec: 'mp4a.40.2',
      sampleRate: 48000,
      channels: 2,
    });
    expect(info.width).toBeUndefined();
  });

  it('refuses what is not an init segment', () => {
    expect(() => parseInitSegment(segs(VIDEO)[0])).toThrow('not an init segment: no moov/trak');
    expect(() => parseInitSegment(Buffer.alloc(0))).toThrow('no moov/trak');
    // Cut short: the moov claims more bytes than there are.
    expect(() => parseInitSegment(init(VIDEO).subarray(0, init(VIDEO).length - 100))).toThrow(
      /malformed MP4: moov box overruns its parent/,
    );
    // A subtitle track.
    const subt = Buffer.from(init(VIDEO));
    const hdlr = boxAt(subt, 'hdlr');
    subt.write('subt', hdlr + 16, 'latin1');
    expect(() => parseInitSegment(subt)).toThrow('unsupported track handler "subt"');
  });
});

describe('BoxSplitter', () => {
  const allFiles = () => [VIDEO, AUDIO].flatMap((t) => [init(t), ...segs(t)]);

  it('splits every file into whole boxes that add up to the file', () => {
    for (const file of allFiles()) {
      const splitter = new BoxSplitter();
      const boxes = splitter.push(file);
      expect(splitter.leftover).toBe(0);
      expect(boxes.reduce((n, b) => n + b.bytes.length, 0)).toBe(file.length);
      expect(Buffer.concat(boxes.map((b) => b.bytes)).equals(file)).toBe(true);
      for (const b of boxes) {
        expect(b.bytes.readUInt32BE(0)).toBe(b.bytes.length);
        expect(b.bytes.toString('latin1', 4, 8)).toBe(b.type);
      }
    }
    expect(boxesOf(init(VIDEO)).map((b) => b.type)).toEqual(['ftyp', 'moov']);
  });

  it('finds styp then moof/mdat pairs in each segment (five 200 ms fragments per 1 s video segment)', () => {
    for (const track of [VIDEO, AUDIO]) {
      for (const [i, file] of segs(track).entries()) {
        const types = boxesOf(file).map((b) => b.type);
        expect(types[0]).toBe('styp');
        expect(types.every((t) => ['styp', 'sidx', 'prft', 'moof', 'mdat'].includes(t))).toBe(true);
        const moofs = types.flatMap((t, k) => (t === 'moof' ? [k] : []));
        expect(moofs.length).toBeGreaterThan(0);
        for (const k of moofs) expect(types[k + 1]).toBe('mdat');
        expect(types.filter((t) => t === 'mdat')).toHaveLength(moofs.length);
        if (track === VIDEO) expect(moofs).toHaveLength(5);
        else if (i < 3) expect(moofs).toHaveLength(5);
      }
    }
  });

  it.each([1, 7, 64, 4096])('yields the same boxes when fed in random pieces of 1..%i bytes', (maxPiece) => {
    const random = rng(maxPiece);
    for (const file of allFiles()) {
      const whole = new BoxSplitter().push(file);
      const splitter = new BoxSplitter();
      const pieced: Box[] = [];
      for (const piece of randomPieces(file, maxPiece, random)) pieced.push(...splitter.push(piece));
      expect(splitter.leftover).toBe(0);
      expect(pieced.map((b) => b.type)).toEqual(whole.map((b) => b.type));
      pieced.forEach((b, k) => expect(b.bytes.equals(whole[k].bytes)).toBe(true));
    }
  });

  it('returns a box only once its last byte is in, keeping the rest as leftover', () => {
    const file = segs(VIDEO)[0];
    const boxes = boxesOf(file);
    const lastSize = boxes[boxes.length - 1].bytes.length;
    const splitter = new BoxSplitter();
    const first = splitter.push(file.subarray(0, file.length - 1));
    expect(first).toHaveLength(boxes.length - 1);
    expect(splitter.leftover).toBe(lastSize - 1);
    const rest = splitter.push(file.subarray(file.length - 1));
    expect(rest.map((b) => b.type)).toEqual(['mdat']);
    expect(rest[0].bytes.length).toBe(lastSize);
    expect(splitter.leftover).toBe(0);
  });

  it('takes a byte at a time in linear time (a 100 kB segment in well under 3 s)', () => {
    const file = segs(VIDEO)[0];
    const splitter = new BoxSplitter();
    const t = performance.now();
    let n = 0;
    for (let p = 0; p < file.length; p++) n += splitter.push(file.subarray(p, p + 1)).length;
    expect(n).toBe(boxesOf(file).length);
    expect(performance.now() - t).toBeLessThan(3000); // quadratic joining took minutes
  });

  it('reads 64-bit (largesize) box headers, also when they arrive in pieces', () => {
    const big = Buffer.concat([u32(1), Buffer.from('free'), u32(0, 24), Buffer.from('12345678')]);
    const file = Buffer.concat([big, box('skip', Buffer.from('x'))]);
    expect(new BoxSplitter().push(file).map((b) => [b.type, b.bytes.length])).toEqual([
      ['free', 24],
      ['skip', 9],
    ]);
    const splitter = new BoxSplitter();
    const out: Box[] = [];
    for (let p = 0; p < file.length; p++) out.push(...splitter.push(file.subarray(p, p + 1)));
    expect(out.map((b) => [b.type, b.bytes.length])).toEqual([
      ['free', 24],
      ['skip', 9],
    ]);
  });

  it('throws on a malformed or oversized box header', () => {
    expect(() =>
      new BoxSplitter().push(Buffer.concat([u32(16), Buffer.from([0, 1, 2, 3]), Buffer.alloc(8)])),
    ).toThrow(/^malformed MP4: box type "\\u0000\\u0001\\u0002\\u0003"$/);
    expect(() => new BoxSplitter().push(Buffer.concat([u32(4), Buffer.from('free')]))).toThrow(
      'malformed MP4: free box of 4 bytes',
    );
    expect(() => new BoxSplitter().push(Buffer.concat([u32(0), Buffer.from('mdat')]))).toThrow(
      'malformed MP4: mdat box of 0 bytes',
    );
    expect(() =>
      new BoxSplitter().push(Buffer.concat([u32(MAX_BOX_BYTES + 1), Buffer.from('mdat')])),
    ).toThrow(`MP4 mdat box of ${MAX_BOX_BYTES + 1} bytes is larger than ${MAX_BOX_BYTES}`);
    expect(() => new BoxSplitter().push(Buffer.concat([u32(1), Buffer.from('mdat'), u32(1, 0)]))).toThrow(
      /mdat box of 4294967296 bytes is larger/,
    );
    // As soon as the header is complete, not when the box would be.
    const splitter = new BoxSplitter();
    expect(splitter.push(Buffer.from([0x7f, 0xff]))).toEqual([]);
    expect(() => splitter.push(Buffer.from([0xff, 0xff, 0x6d, 0x64, 0x61, 0x74]))).toThrow(/larger than/);
    // Exactly the limit is allowed (it just waits for the bytes).
    const atLimit = new BoxSplitter();
    expect(atLimit.push(Buffer.concat([u32(MAX_BOX_BYTES), Buffer.from('mdat')]))).toEqual([]);
    expect(atLimit.leftover).toBe(8);
  });
});

describe('parseMoof on ffmpeg output', () => {
  function fragments(
    track: number,
  ): Array<{ seg: number; timing: ReturnType<typeof parseMoof>; moof: Buffer; mdat: Buffer }> {
    const info = parseInitSegment(init(track));
    return segs(track).flatMap((file, seg) => {
      const boxes = boxesOf(file);
      return boxes.flatMap((b, k) =>
        b.type === 'moof'
          ? [{ seg, timing: parseMoof(b.bytes, info), moof: b.bytes, mdat: boxes[k + 1].bytes }]
          : [],
      );
    });
  }

  it('video: 200 ms fragments of 6 frames; the first of each segment starts with a keyframe, the others do not', () => {
    const info = parseInitSegment(init(VIDEO));
    const frags = fragments(VIDEO);
    expect(frags).toHaveLength(15);
    for (const [i, f] of frags.entries()) {
      expect(f.timing.sampleCount).toBe(6);
      expect(f.timing.duration).toBe(0.2 * info.timescale);
      expect(f.timing.independent).toBe(i % 5 === 0);
      // The flag agrees with the bitstream: an IDR slice opens exactly the independent fragments.
      expect(firstSliceType(f.mdat)).toBe(f.timing.independent ? 5 : 1);
    }
  });

  it('video and audio: each fragment starts where the previous one ended (tfdt continuity), from 0', () => {
    for (const track of [VIDEO, AUDIO]) {
      const frags = fragments(track);
      expect(frags[0].timing.baseDecodeTime).toBe(0);
      for (let i = 1; i < frags.length; i++) {
        expect(frags[i].timing.baseDecodeTime).toBe(
          frags[i - 1].timing.baseDecodeTime + frags[i - 1].timing.duration,
        );
      }
    }
  });

  it('audio: every fragment independent, ~1024 samples per AAC frame (FLV ms timestamps), ~200 ms', () => {
    for (const f of fragments(AUDIO)) expect(f.timing.independent).toBe(true);
    // Whole segments only (the fixture drops the remux's short last one).
    const full = fragments(AUDIO).filter((f) => f.seg < 3);
    for (const [i, f] of full.entries()) {
      // 1024 samples per frame, give or take FLV's whole-millisecond timestamps (48 ticks) that the remux reads.
      expect(Math.abs(f.timing.duration - f.timing.sampleCount * 1024)).toBeLessThanOrEqual(f.timing.sampleCount * 48);
      // 200 ms is 9.4 frames: whole frames up to the next 200 ms, except a segment's last fragment (the rest).
      if (full[i + 1]?.seg === f.seg) expect(f.timing.sampleCount).toBeGreaterThanOrEqual(10);
    }
    // A segment's fragments add up to ~1 s (the dash muxer cuts audio on the 1 s grid, a frame either side).
    for (let s = 0; s < 3; s++) {
      const d = full.filter((f) => f.seg === s).reduce((n, f) => n + f.timing.duration, 0) / 48000;
      expect(Math.abs(d - 1)).toBeLessThan(1024 / 48000);
    }
  });

  it('locates the tfdt value for rewriting', () => {
    for (const f of [...fragments(VIDEO), ...fragments(AUDIO)]) {
      const { tfdtAt, tfdtVersion, baseDecodeTime } = f.timing;
      expect(tfdtAt).toBeDefined();
      const at = tfdtAt as number;
      expect(f.moof.toString('latin1', at - 8, at - 4)).toBe('tfdt');
      const value = tfdtVersion === 1 ? Number(f.moof.readBigUInt64BE(at)) : f.moof.readUInt32BE(at);
      expect(value).toBe(baseDecodeTime);
    }
  });

  it('throws on a trun whose samples overrun it, a child overrunning its parent, a moof without traf', () => {
    const info = parseInitSegment(init(VIDEO));
    const moof = Buffer.from(fragments(VIDEO)[0].moof);
    const trun = boxAt(moof, 'trun');
    const overrun = Buffer.from(moof);
    overrun.writeUInt32BE(overrun.readUInt32BE(trun + 12) + 1, trun + 12); // one sample more than there are
    expect(() => parseMoof(overrun, info)).toThrow('malformed trun: samples overrun the box');
    const huge = Buffer.from(moof);
    huge.writeUInt32BE(0x7fffffff, trun + 12);
    expect(() => parseMoof(huge, info)).toThrow('malformed trun: samples overrun the box');
    const child = Buffer.from(moof);
    child.writeUInt32BE(moof.length, boxAt(child, 'tfdt'));
    expect(() => parseMoof(child, info)).toThrow('malformed MP4: tfdt box overruns its parent');
    const noTraf = box('moof', box('mfhd', u32(0, 1)));
    expect(() => parseMoof(noTraf, info)).toThrow('malformed moof: no traf');
  });
});

describe('parseMoof on hand-made fragments', () => {
  const SYNC = 0x02000000;
  const NON_SYNC = 0x01010000;
  const defaults: Pick<TrackInfo, 'defaultSampleDuration' | 'defaultSampleFlags'> = {
    defaultSampleDuration: 100,
    defaultSampleFlags: NON_SYNC,
  };
  const mfhd = box('mfhd', u32(0, 1));
  const tfdt0 = (t: number) => box('tfdt', u32(0, t));

  it('falls back to the trex defaults and reads a version 0 tfdt', () => {
    const moof = box(
      'moof',
      mfhd,
      box('traf', box('tfhd', u32(0x020000, 1)), tfdt0(5000), box('trun', u32(0x000001, 3, 0))),
    );
    expect(parseMoof(moof, defaults)).toMatchObject({
      baseDecodeTime: 5000,
      duration: 300,
      sampleCount: 3,
      independent: false,
      tfdtVersion: 0,
    });
    expect(parseMoof(moof, { defaultSampleDuration: 100, defaultSampleFlags: SYNC }).independent).toBe(true);
  });

  it('prefers tfhd defaults, then first-sample-flags, then per-sample values', () => {
    // tfhd: default duration 512 and default flags non-sync; trun: first-sample-flags sync.
    const tfhd = box('tfhd', u32(0x020028, 1, 512, NON_SYNC));
    const first = box('moof', mfhd, box('traf', tfhd, tfdt0(0), box('trun', u32(0x000004, 4, SYNC))));
    expect(parseMoof(first, defaults)).toMatchObject({ duration: 2048, sampleCount: 4, independent: true });
    // Per-sample durations and flags (0x100 | 0x400): first sample non-sync.
    const perSample = box(
      'moof',
      mfhd,
      box('traf', tfhd, tfdt0(0), box('trun', u32(0x000500, 2, 10, NON_SYNC, 20, SYNC))),
    );
    expect(parseMoof(perSample, defaults)).toMatchObject({
      duration: 30,
      sampleCount: 2,
      independent: false,
    });
  });

  it('counts a fragment without samples as not independent', () => {
    const empty = box('moof', mfhd, box('traf', box('tfhd', u32(0, 1)), tfdt0(7)));
    expect(parseMoof(empty, { defaultSampleDuration: 100, defaultSampleFlags: SYNC })).toMatchObject({
      sampleCount: 0,
      duration: 0,
      independent: false,
      baseDecodeTime: 7,
    });
  });
});
