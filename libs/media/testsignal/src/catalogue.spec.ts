import fc from 'fast-check';
import { DEFAULT_CATALOGUE, DEFAULT_STREAM_NAMES, parseCatalogue, selectStreams, streamSpecSchema } from './catalogue';

describe('stream catalogue', () => {
  it('has the four single streams and two ladders; the default selection is the single streams', () => {
    expect(DEFAULT_CATALOGUE.map((s) => `${s.name} ${s.width}x${s.height}@${s.fps}`)).toEqual([
      'bars-720p30 1280x720@30',
      'motion-1080p30 1920x1080@30',
      'seed-768p60 1024x768@60',
      'low-360p30 640x360@30',
      'ladder-1080p30 1920x1080@30',
      'ladder-720p30 1280x720@30',
    ]);
    expect(selectStreams(DEFAULT_CATALOGUE, DEFAULT_STREAM_NAMES.join(',')).map((s) => s.name)).toEqual(DEFAULT_STREAM_NAMES);
  });

  it('declares ladder-1080p30 as issue 17 states it, and a cheaper ladder without the 1080p rung', () => {
    const rungs = (name: string) => DEFAULT_CATALOGUE.find((s) => s.name === name)?.ladder?.map((r) => `${r.width}x${r.height} ${r.videoBitrateKbps}k`);
    expect(rungs('ladder-1080p30')).toEqual(['1920x1080 4500k', '1280x720 2500k', '854x480 1200k', '640x360 600k']);
    expect(rungs('ladder-720p30')).toEqual(['1280x720 2500k', '854x480 1200k', '640x360 600k']);
  });

  it('accepts every built-in stream through its own schema unchanged', () => {
    for (const s of DEFAULT_CATALOGUE) expect(streamSpecSchema.parse(s)).toEqual(s);
  });

  it('parses a ladder, taking the stream bitrate from the top rung', () => {
    const [s] = parseCatalogue(JSON.stringify([{ name: 'l', pattern: 'testsrc2', width: 640, height: 360, fps: 15, ladder: [
      { width: 640, height: 360, videoBitrateKbps: 800 }, { width: 320, height: 180, videoBitrateKbps: 300 },
    ] }]));
    expect(s).toEqual({ name: 'l', pattern: 'testsrc2', width: 640, height: 360, fps: 15, videoBitrateKbps: 800, audioBitrateKbps: 128, ladder: [
      { width: 640, height: 360, videoBitrateKbps: 800 }, { width: 320, height: 180, videoBitrateKbps: 300 },
    ] });
  });

  const ladder = (rungs: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify([{ name: 'l', pattern: 'testsrc2', width: 1280, height: 720, fps: 30, ...extra, ladder: rungs }]);
  const r = (width: number, height: number, videoBitrateKbps: number) => ({ width, height, videoBitrateKbps });

  it.each([
    [ladder([]), /^stream catalogue \[0.ladder\]: ladder must have at least one rung$/],
    [ladder(Array.from({ length: 17 }, (_, i) => r(1280, 720, 5000 - i * 100))), /^stream catalogue \[0.ladder\]: ladder must have at most 16 rungs/],
    [ladder([r(1280, 720, 2500), r(640, 360, 2500)]), /^stream catalogue \[0.ladder.1.videoBitrateKbps\]: rungs must be sorted by bitrate, highest first: 2500 is not below rung 0's 2500$/],
    [ladder([r(1280, 720, 2500), r(640, 361, 600)]), /^stream catalogue \[0.ladder.1.height\]: height must be even$/],
    [ladder([r(1280, 720, 2500), r(160, 90, 200)]), /\[0.ladder.1.width\]: width must be at least 192\n.*\[0.ladder.1.height\]: height must be at least 108$/],
    [ladder([r(1280, 720, 2500), r(1920, 1080, 600)]), /\[0.ladder.1\]: rung 1920x1080 is larger than the source 1280x720\n.*\[0.ladder.1\]: rung 1920x1080 is larger than rung 0 above it/],
    [ladder([r(640, 360, 2500), r(854, 480, 1200)]), /\[0.ladder.0\]: the top rung must be the stream's size 1280x720 .* not 640x360/],
    [ladder([r(1280, 720, 2500)], { videoBitrateKbps: 3000 }), /^stream catalogue \[0.videoBitrateKbps\]: videoBitrateKbps must be the top rung's \(2500\) or left out$/],
    [ladder([{ width: 1280, height: 720, videoBitrateKbps: 'fast' }]), /^stream catalogue \[0.ladder.0.videoBitrateKbps\]: videoBitrateKbps must be a number$/],
  ])('rejects the bad ladder %s with one clear line per bad value', (json, message) => {
    expect(() => parseCatalogue(json)).toThrow(message);
  });

  it('parses a JSON catalogue with defaults for bitrates', () => {
    expect(parseCatalogue('[{"name":"a","pattern":"testsrc2","width":320,"height":240,"fps":25}]')).toEqual([
      { name: 'a', pattern: 'testsrc2', width: 320, height: 240, fps: 25, videoBitrateKbps: 3000, audioBitrateKbps: 128 },
    ]);
  });

  it.each([
    ['nope', /^stream catalogue is not valid JSON/],
    ['[]', /^stream catalogue: stream catalogue is empty$/],
    ['[{"name":"Bad Name","pattern":"testsrc2","width":320,"height":240,"fps":25}]', /^stream catalogue \[0.name\]: name must be/],
    ['[{"name":"a","pattern":"testsrc2","width":321,"height":240,"fps":25}]', /\[0.width\]: width must be even/],
    ['[{"name":"a","pattern":"plasma","width":320,"height":240,"fps":25}]', /\[0.pattern\]: pattern must be smptehdbars or testsrc2/],
    ['[{"name":"a","pattern":"testsrc2","width":320,"height":240,"fps":25},{"name":"a","pattern":"testsrc2","width":320,"height":240,"fps":25}]', /duplicate name "a"/],
  ])('rejects %s with one clear line', (json, message) => {
    expect(() => parseCatalogue(json)).toThrow(message);
  });

  it('selects streams by name and names unknown ones', () => {
    expect(selectStreams(DEFAULT_CATALOGUE, 'low-360p30, bars-720p30').map((s) => s.name)).toEqual(['bars-720p30', 'low-360p30']);
    expect(selectStreams(DEFAULT_CATALOGUE, '')).toHaveLength(DEFAULT_CATALOGUE.length);
    expect(() => selectStreams(DEFAULT_CATALOGUE, 'nope')).toThrow(/^unknown stream nope \(known: bars-720p30,/);
  });
});

describe('ladder schema, fuzzed (fast-check, seeded)', () => {
  // Sizes and bitrates around the limits, some not numbers at all: every catalogue is either accepted and then keeps
  // every ladder rule, or refused with lines that each name a place in the catalogue — never a crash of our own.
  const dim = fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.constantFrom(64, 108, 192, 360, 640, 720, 1280), fc.double(), fc.constant('x' as unknown as number));
  const rung = fc.record({ width: dim, height: dim, videoBitrateKbps: fc.oneof(fc.integer({ min: 0, max: 60_000 }), fc.constant(null as unknown as number)) });
  const stream = fc.record({
    name: fc.constantFrom('a', 'ladder-x', 'Bad'),
    pattern: fc.constantFrom('testsrc2', 'smptehdbars'),
    width: dim,
    height: dim,
    fps: fc.integer({ min: 0, max: 130 }),
    ladder: fc.array(rung, { maxLength: 18 }),
  });

  it('accepts only ladders that keep the rules and explains every refusal', () => {
    fc.assert(
      fc.property(fc.array(stream, { minLength: 1, maxLength: 3 }), (streams) => {
        let parsed;
        try {
          parsed = parseCatalogue(JSON.stringify(streams));
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          for (const line of (e as Error).message.split('\n')) expect(line).toMatch(/^stream catalogue( \[[\w.]+\])?: \S/);
          return;
        }
        for (const s of parsed) {
          const rungs = s.ladder ?? [];
          expect(rungs.length).toBeGreaterThanOrEqual(1);
          expect(rungs.length).toBeLessThanOrEqual(16);
          expect([rungs[0].width, rungs[0].height, rungs[0].videoBitrateKbps]).toEqual([s.width, s.height, s.videoBitrateKbps]);
          rungs.forEach((r, i) => {
            expect(r.width % 2 + (r.height % 2)).toBe(0);
            expect(r.width).toBeGreaterThanOrEqual(192);
            expect(r.height).toBeGreaterThanOrEqual(108);
            if (i > 0) {
              expect(r.videoBitrateKbps).toBeLessThan(rungs[i - 1].videoBitrateKbps);
              expect(r.width).toBeLessThanOrEqual(rungs[i - 1].width);
              expect(r.height).toBeLessThanOrEqual(rungs[i - 1].height);
            }
          });
        }
      }),
      { seed: 17, numRuns: 500 },
    );
  });

  it('accepts well-formed ladders (the generator of valid ones is not vacuous)', () => {
    const valid = fc.integer({ min: 1, max: 6 }).chain((n) =>
      fc.tuple(...Array.from({ length: n }, (_, i) => fc.constant(i))).map((idx) => {
        const rungs = idx.map((i) => ({ width: 1280 - i * 160, height: 720 - i * 90, videoBitrateKbps: 3000 - i * 400 }));
        return [{ name: 'v', pattern: 'testsrc2', width: 1280, height: 720, fps: 30, ladder: rungs }];
      }),
    );
    fc.assert(fc.property(valid, (c) => expect(parseCatalogue(JSON.stringify(c))[0].ladder).toHaveLength(c[0].ladder.length)), { seed: 17, numRuns: 50 });
  });
});
