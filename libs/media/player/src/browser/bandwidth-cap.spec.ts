import { BandwidthCap } from './bandwidth-cap';

describe('BandwidthCap', () => {
  let now = 0;
  const cap = () => new BandwidthCap(() => now);

  it('hands a response over when a link of the cap would have delivered it, never before it arrived', () => {
    now = 0;
    const c = cap();
    expect(c.handOverAt(125_000, 0, 5)).toBe(5); // no cap: as it arrived
    c.set(1000); // 1 Mbit/s = 125 bytes per ms
    expect(c.handOverAt(125_000, 0, 5)).toBe(1000);
    // The next request queues behind the first on the shared link.
    expect(c.handOverAt(12_500, 10, 20)).toBe(1100);
    // A request that starts after the link is free again is not delayed by the earlier ones.
    expect(c.handOverAt(12_500, 5000, 5001)).toBe(5100);
    // A response that took longer to arrive than the cap needs is handed over as it arrived.
    expect(c.handOverAt(1250, 6000, 9000)).toBe(9000);
  });

  it('frees the link when the last booked response is given up on', () => {
    now = 0;
    const c = cap();
    c.set(1000);
    const big = c.book(375_000, 0, 2); // 3 s
    now = 500;
    big.release();
    expect(c.handOverAt(12_500, 500, 501)).toBe(600);
  });

  it('removing the cap frees the link; bad values remove it', () => {
    now = 0;
    const c = cap();
    const seen: Array<number | undefined> = [];
    c.onChange((k) => seen.push(k));
    c.set(500);
    c.handOverAt(625_000, 0, 1); // 10 s
    c.set(0);
    expect(c.kbps).toBeUndefined();
    expect(c.handOverAt(625_000, 1, 2)).toBe(2);
    for (const bad of [Number.NaN, -5, Infinity]) {
      c.set(bad);
      expect(c.kbps).toBeUndefined();
    }
    expect(seen).toEqual([500, undefined, undefined, undefined, undefined]);
  });
});
