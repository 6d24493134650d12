import fc from 'fast-check';
import { LADDER_AUDIO_TRACK } from '@livelab/media-contract';
import { ALIGNMENT_TOLERANCE_S, LadderAlignment } from './ladder-alignment';

const FIRST = 17_000_000_000;
const num = (p: ReturnType<LadderAlignment['place']>) => ('number' in p ? p.number : undefined);

describe('the ladder grid (ladder-alignment.ts)', () => {
  it('numbers video segments of every rung from media time: the same start, the same number', () => {
    const a = new LadderAlignment(FIRST, 1);
    expect(num(a.place('s~0', 0, 'video', 1, 100, 0))).toBe(FIRST); // the top rung anchors the grid at 100 s
    expect(num(a.place('s~0', 0, 'video', 2, 101, 0))).toBe(FIRST + 1);
    // Rung 1's remux started two GOPs later (its own numbers start at 1 again): placed by time, not by its number.
    expect(num(a.place('s~1', 1, 'video', 1, 102.001, 0))).toBe(FIRST + 2);
    expect(num(a.place('s~0', 0, 'video', 3, 102, 0))).toBe(FIRST + 2);
  });

  it('refuses a video segment off the grid by more than the tolerance', () => {
    const a = new LadderAlignment(FIRST, 1);
    a.place('s~0', 0, 'video', 1, 10, 0);
    expect(a.place('s~1', 1, 'video', 1, 11.5, 0)).toEqual({ refuse: expect.stringMatching(/500 ms off/) });
    expect(num(a.place('s~1', 1, 'video', 1, 11 + ALIGNMENT_TOLERANCE_S / 2, 0))).toBe(FIRST + 1);
  });

  it('waits for the top rung to anchor the grid: other rungs and the audio are dropped before it', () => {
    const a = new LadderAlignment(FIRST, 1);
    expect(a.place('s~1', 1, 'video', 1, 10.5, 0, false)).toEqual({ drop: expect.stringMatching(/no grid yet/) });
    expect(a.place('s~audio', LADDER_AUDIO_TRACK, 'audio', 1, 10.3, 0)).toEqual({ drop: expect.any(String) });
    expect(a.zeroSeconds).toBeUndefined();
    expect(num(a.place('s~0', 0, 'video', 1, 11, 0, true))).toBe(FIRST);
    expect(a.zeroSeconds).toBe(11);
  });

  it('never gives a number twice on a track nor below the first (a restarted remux replaying a GOP, an early rung)', () => {
    const a = new LadderAlignment(FIRST, 1);
    a.place('s~0', 0, 'video', 1, 20, 0);
    a.place('s~0', 0, 'video', 2, 21, 0);
    expect(a.place('s~0', 0, 'video', 1, 21, 1)).toEqual({ drop: expect.stringMatching(/not after/) });
    expect(num(a.place('s~0', 0, 'video', 2, 22, 1))).toBe(FIRST + 2);
    expect(a.place('s~1', 1, 'video', 1, 19, 0)).toEqual({ drop: expect.stringMatching(/before the ladder's first/) });
    expect(a.highestUsedNumber).toBe(FIRST + 2);
  });

  it('shifts a restarted remux whose clock began again onto the grid line the other rungs are at', () => {
    const a = new LadderAlignment(FIRST, 1);
    for (let i = 0; i < 10; i++) a.place('s~1', 1, 'video', i + 1, i, 0);
    // Rung 1's remux crashed after segment FIRST + 9; its new run starts at media time 0 while rung 0 is at FIRST + 12.
    expect(a.place('s~1', 1, 'video', 1, 0, 1, false, FIRST + 12)).toEqual({ number: FIRST + 12, shiftSeconds: 12 });
    expect(a.place('s~1', 1, 'video', 2, 1, 1, false, FIRST + 13)).toEqual({ number: FIRST + 13, shiftSeconds: 12 });
    // With no other rung to follow, just past its own last.
    const b = new LadderAlignment(FIRST, 1);
    for (let i = 0; i < 5; i++) b.place('s~0', 0, 'video', i + 1, i, 0);
    expect(b.place('s~0', 0, 'video', 1, 0, 1)).toEqual({ number: FIRST + 5, shiftSeconds: 5 });
  });

  it('places audio on the grid at each run start and counts on with the remux (no rounding flips mid-run)', () => {
    const a = new LadderAlignment(FIRST, 1);
    a.place('s~0', 0, 'video', 1, 0, 0);
    // Audio segments of ~1.002 s starting 0.49 s after the grid line: per-segment rounding would skip or repeat.
    const starts = Array.from({ length: 20 }, (_, i) => 3.49 + i * 1.0021);
    const numbers = starts.map((t, i) => num(a.place('s~audio', LADDER_AUDIO_TRACK, 'audio', i + 1, t, 0)));
    expect(numbers).toEqual(starts.map((_, i) => FIRST + 3 + i));
  });

  it('property: for any anchor and any order of the rungs\' segments, each track\'s numbers strictly increase and match media time', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.record({ rung: fc.integer({ min: 0, max: 3 }), gop: fc.integer({ min: 0, max: 30 }) }), { minLength: 1, maxLength: 60 }),
        (anchor, events) => {
          const a = new LadderAlignment(FIRST, 1);
          a.place('s~0', 0, 'video', 1, anchor, 0, true);
          const last = new Map<number, number>();
          for (const e of events) {
            const t = anchor + e.gop;
            const p = a.place(`s~${e.rung}`, e.rung, 'video', 1, t, 0);
            if (!('number' in p)) continue;
            expect(p.number).toBe(FIRST + e.gop);
            expect(p.number).toBeGreaterThan(last.get(e.rung) ?? -Infinity);
            last.set(e.rung, p.number);
          }
        },
      ),
      { seed: 17, numRuns: 200 },
    );
  });
});
