import { catchUpRate } from './catch-up';

describe('catchUpRate (hls.js low-latency catch-up)', () => {
  it('plays at normal speed on target, when ahead of it, or with too little buffered', () => {
    expect(catchUpRate(0, 1)).toBe(1);
    expect(catchUpRate(0.05, 1)).toBe(1);
    expect(catchUpRate(-0.3, 1)).toBe(1);
    expect(catchUpRate(0.5, 0.1)).toBe(1); // would run dry: no speed-up
    expect(catchUpRate(Number.NaN, 1)).toBe(1);
  });

  it('speeds up in proportion to the drift, capped at +10 %', () => {
    expect(catchUpRate(0.2, 0.5)).toBeCloseTo(1.05);
    expect(catchUpRate(0.3, 0.5)).toBeGreaterThan(catchUpRate(0.2, 0.5));
    expect(catchUpRate(3, 2)).toBe(1.1);
  });
});
