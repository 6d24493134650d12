import { catchUpRate } from './catch-up';

describe('catchUpRate (hls.js low-latency catch-up)', () => {
  it('plays at normal speed on target (within the dead band) or when the drift is unknown', () => {
    expect(catchUpRate(0, 1)).toBe(1);
    expect(catchUpRate(0.05, 1)).toBe(1);
    expect(catchUpRate(-0.05, 1)).toBe(1);
    expect(catchUpRate(Number.NaN, 1)).toBe(1);
  });

  it('speeds up in proportion to the drift, capped at +10 %, only with enough buffered to do it', () => {
    expect(catchUpRate(0.2, 0.5)).toBeCloseTo(1.05);
    expect(catchUpRate(0.3, 0.5)).toBeGreaterThan(catchUpRate(0.2, 0.5));
    expect(catchUpRate(3, 2)).toBe(1.1);
    expect(catchUpRate(0.5, 0.2)).toBe(1); // would run dry: no speed-up
  });

  it('slows down when ahead of the target (too close to the edge), at most −8 %', () => {
    expect(catchUpRate(-0.2, 0.5)).toBeCloseTo(0.95);
    expect(catchUpRate(-0.3, 0.5)).toBeLessThan(catchUpRate(-0.2, 0.5));
    expect(catchUpRate(-3, 0.5)).toBe(0.92);
  });

  it('slows down when the buffer is about to run dry, whatever the drift: a slower second instead of a stall', () => {
    expect(catchUpRate(0.5, 0.05)).toBe(0.92);
    expect(catchUpRate(0, 0.1)).toBe(0.92);
    expect(catchUpRate(-0.5, 0)).toBe(0.92);
  });

  it('never leaves 0.92–1.1, over drifts and buffers from −10 to 10 s', () => {
    for (let d = -10; d <= 10; d += 0.37)
      for (let b = 0; b <= 3; b += 0.11) {
        const r = catchUpRate(d, b);
        expect(r).toBeGreaterThanOrEqual(0.92);
        expect(r).toBeLessThanOrEqual(1.1);
      }
  });
});
