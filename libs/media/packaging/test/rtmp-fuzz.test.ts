// Property/fuzz tests (fast-check, seeded, each bounded in runs and time) against a real packager process while
// ffmpeg publishes a real stream: random and mutated handshakes, chunk headers, AMF values and command sequences.
// After each: the process is up, the good stream's playlist kept advancing (no gap over 1.5 s), RSS stayed under
// RSS_BOUND.
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { amf0, chunkMessage, cmd, connectCmd, RawRtmp } from './support/raw-rtmp';
import { PackagerProcess, TEST_KEY } from './support/packager-process';

jest.setTimeout(180_000);

const SEED = 1111;
/** The packager under tsx with one live stream starts at ~120 MB. */
const RSS_BOUND = 250 * 1024 * 1024;
const TIME_LIMIT_MS = 40_000;

let p: PackagerProcess;
let peakRss = 0;
let sampler: NodeJS.Timeout;

beforeAll(async () => {
  p = await PackagerProcess.start({ rtmpLimits: { maxConnectionsPerAddress: 100 } });
  p.publish('good');
  await p.waitLive('good');
  sampler = setInterval(() => (peakRss = Math.max(peakRss, p.alive ? p.rssBytes() : 0)), 100);
});

afterAll(async () => {
  clearInterval(sampler);
  await p?.stop();
});

/** Opens a connection, optionally does a valid handshake, sends the pieces, waits a moment, hangs up. */
async function attack(pieces: Buffer[], handshake: boolean): Promise<void> {
  const c = await RawRtmp.open(p.rtmpPort);
  try {
    if (handshake) await c.handshake().catch(() => undefined);
    for (const b of pieces) c.send(b);
    await c.closedWithin(30);
  } finally {
    c.destroy();
  }
}

async function property(arb: fc.Arbitrary<{ pieces: Buffer[]; handshake: boolean }>, numRuns: number) {
  const watch = p.watch('good');
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(arb, async ({ pieces, handshake }) => {
      await attack(pieces, handshake);
      if (!p.alive) throw new Error(`the packager died: ${p.stderr.slice(-5).join('\n')}`);
    }),
    { seed: SEED, numRuns, interruptAfterTimeLimit: TIME_LIMIT_MS, endOnFailure: true },
  );
  // Watch for at least 3 s, so a stalled stream would show (segments are 1 s).
  await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - started))));
  const { maxGapMs, segments } = await watch.stop();
  expect(p.alive).toBe(true);
  expect(segments).toBeGreaterThan(0);
  expect(maxGapMs).toBeLessThanOrEqual(1500);
  expect(peakRss).toBeLessThan(RSS_BOUND);
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const mutate = (b: Buffer) =>
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }).map((edits) => {
    const out = Buffer.from(b);
    for (const [i, v] of edits) if (out.length) out[i % out.length] = v;
    return out;
  });
const cut = (b: Buffer) => fc.nat(b.length).map((n) => b.subarray(0, n));

describe('fuzz: handshakes', () => {
  it('random and mutated handshakes never hurt the packager', async () => {
    const c1 = Buffer.concat([Buffer.alloc(8), randomBytes(1528)]);
    const handshakeBytes = fc.oneof(
      bytes(4000),
      fc.tuple(fc.integer({ min: 0, max: 255 }), bytes(3000)).map(([v, rest]) => Buffer.concat([Buffer.from([v]), rest])),
      mutate(Buffer.concat([Buffer.from([3]), c1, c1, Buffer.from([0x03])])).chain(cut),
    );
    await property(fc.record({ pieces: fc.array(handshakeBytes, { minLength: 1, maxLength: 3 }), handshake: fc.constant(false) }), 300);
  });
});

describe('fuzz: chunk headers', () => {
  it('random chunk headers (any format, chunk stream id, extended timestamps, lengths to 16 MiB) never hurt it', async () => {
    const header = fc
      .record({
        fmt: fc.integer({ min: 0, max: 3 }),
        cid: fc.oneof(fc.integer({ min: 2, max: 63 }), fc.integer({ min: 64, max: 319 }), fc.integer({ min: 320, max: 65599 })),
        ts: fc.oneof(fc.constant(0xffffff), fc.nat(0xffffff)),
        length: fc.oneof(fc.constant(0xffffff), fc.nat(0xffffff), fc.nat(300)),
        type: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(1, 2, 3, 4, 5, 6, 8, 9, 15, 17, 18, 20, 22)),
        ext: fc.nat(),
        payload: bytes(300),
      })
      .map((h) => {
        const basic = h.cid < 64 ? Buffer.from([(h.fmt << 6) | h.cid]) : h.cid < 320 ? Buffer.from([h.fmt << 6, h.cid - 64]) : Buffer.from([(h.fmt << 6) | 1, (h.cid - 64) & 0xff, (h.cid - 64) >> 8]);
        const m = Buffer.alloc(11);
        m.writeUIntBE(h.ts, 0, 3);
        m.writeUIntBE(h.length, 3, 3);
        m[6] = h.type;
        const e = Buffer.alloc(4);
        e.writeUInt32BE(h.ext >>> 0);
        return Buffer.concat([basic, m.subarray(0, [11, 7, 3, 0][h.fmt]), h.ts === 0xffffff ? e : Buffer.alloc(0), h.payload]);
      });
    const start = fc.constantFrom([], [chunkMessage({ cid: 3, type: 20, payload: connectCmd() })]);
    await property(fc.record({ pieces: fc.tuple(start, fc.array(header, { minLength: 1, maxLength: 30 })).map(([s, h]) => [...s, ...h]), handshake: fc.constant(true) }), 300);
  });
});

describe('fuzz: AMF values and command sequences', () => {
  it('random AMF values and command sequences, mutated, never hurt it', async () => {
    const amfValue: fc.Arbitrary<Buffer> = fc.letrec<{ v: Buffer }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.double().map(amf0.num),
        fc.boolean().map(amf0.bool),
        fc.string({ maxLength: 30 }).map(amf0.str),
        fc.constant(amf0.null()),
        fc.integer({ min: 0, max: 255 }).map((m) => Buffer.from([m])), // any marker, bare
        fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 }).map(amf0.obj),
      ),
    })).v;
    const name = fc.constantFrom('connect', 'createStream', 'publish', 'play', 'releaseStream', 'FCPublish', 'deleteStream', '_result', 'onStatus', '@setDataFrame', '');
    const command = fc.oneof(
      fc.constant(connectCmd()),
      fc.constantFrom('live', '', 'x'.repeat(200), '../live').chain((app) => fc.constantFrom(connectCmd(app, null), connectCmd(app, 'not a url'), connectCmd(app))),
      fc.constant(cmd(amf0.str('createStream'), amf0.num(2), amf0.null())),
      fc.tuple(fc.constantFrom('publish', 'play'), fc.constantFrom('good', 'fz', 'x?key=wrong', '', `good?key=${TEST_KEY}`)).map(([c, s]) => cmd(amf0.str(c), amf0.num(3), amf0.null(), amf0.str(s), amf0.str('live'))),
      fc.tuple(name, fc.array(amfValue, { maxLength: 5 })).map(([n, vs]) => cmd(amf0.str(n), ...vs)),
      bytes(200),
    );
    const message = fc.tuple(command.chain(mutate), fc.constantFrom(17, 18, 20, 20, 20), fc.constantFrom(128, 4096)).map(([payload, type, chunkSize]) =>
      chunkMessage({ cid: 3, type, payload: type === 17 ? Buffer.concat([Buffer.from([0]), payload]) : payload, chunkSize, streamId: 1 }),
    );
    await property(fc.record({ pieces: fc.array(message, { minLength: 1, maxLength: 8 }), handshake: fc.constant(true) }), 300);
  });

  it('an authorised publisher sending random media and data messages never hurts it', async () => {
    let n = 0;
    const media = fc.tuple(fc.constantFrom(8, 9, 18), bytes(2000), fc.nat(100_000)).map(([type, payload, ts]) => chunkMessage({ cid: type === 18 ? 5 : 4 + (type & 1), type, payload, timestamp: ts, streamId: 1, chunkSize: 128 }));
    const arb = fc.array(media, { minLength: 1, maxLength: 20 }).map((ms) => {
      const stream = `fz${n++}`;
      return {
        handshake: true,
        pieces: [
          chunkMessage({ cid: 3, type: 20, payload: connectCmd() }),
          chunkMessage({ cid: 3, type: 20, payload: cmd(amf0.str('createStream'), amf0.num(2), amf0.null()) }),
          chunkMessage({ cid: 3, type: 20, streamId: 1, payload: cmd(amf0.str('publish'), amf0.num(3), amf0.null(), amf0.str(`${stream}?key=${TEST_KEY}`), amf0.str('live')) }),
          ...ms,
        ],
      };
    });
    // Each accepted publish starts a remux: few runs, so the box keeps up with the real stream.
    await property(arb, 12);
    expect(p.logs.filter((l) => l['msg'] === 'publish started' && /^fz\d+$/.test(String(l['stream']))).length).toBeGreaterThanOrEqual(6);
  });
});
