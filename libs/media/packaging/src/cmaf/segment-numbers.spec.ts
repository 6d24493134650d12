import fc from 'fast-check';
import { firstSegmentNumber, highestSegmentNumber, NUMBER_TICK_MS } from './segment-numbers';

describe('segment numbers', () => {
  it('never give a later publish a number an earlier one used, at any pace the guard lets through', () => {
    // An earlier publish at p1 opens segments at times it chooses (any pace); each takes the next number unless the
    // guard refuses it. A later publish of the name starts after it ended: in this process (usedBefore known) at
    // any time, in another one (a restarted packager, no usedBefore) at least a tick later.
    fc.assert(
      fc.property(
        fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 5000 }),
        (p1, gaps, restartMs) => {
          const first = firstSegmentNumber(p1);
          let now = p1;
          let next = first;
          let used = first - 1;
          for (const g of gaps) {
            now += g;
            if (next > highestSegmentNumber(now, first)) continue; // refused: too fast
            used = next++;
          }
          expect(firstSegmentNumber(now + restartMs, used)).toBeGreaterThan(used);
          expect(firstSegmentNumber(now + NUMBER_TICK_MS + restartMs)).toBeGreaterThan(used);
        },
      ),
      { seed: 15, numRuns: 500 },
    );
  });

  it('let a publisher run 10 segments per second (10× real time with 1 s segments), and a real-time one always', () => {
    const p = 1_764_000_000_050;
    const first = firstSegmentNumber(p);
    expect(first).toBe(Math.floor(p / NUMBER_TICK_MS) - 1);
    // The first segment is allowed at once; then one every 100 ms keeps within the guard.
    for (let k = 0; k < 100; k++) expect(first + k).toBeLessThanOrEqual(highestSegmentNumber(p + k * 100 + 100, first));
    expect(first + 50).toBeGreaterThan(highestSegmentNumber(p + 1000, first)); // 50 segments in a second: refused
  });

  it('continue above an earlier publish of the name in this process (a republish within the same tick)', () => {
    const p = 1_764_000_000_000;
    expect(firstSegmentNumber(p, firstSegmentNumber(p) + 3)).toBe(firstSegmentNumber(p) + 4);
  });
});
