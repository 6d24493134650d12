import { Backoff, sleep } from './backoff';

describe('Backoff', () => {
  it('doubles up to the cap, with jitter in [step/2, step]', () => {
    const lo = new Backoff(100, 1000, () => 0);
    expect([lo.next(), lo.next(), lo.next(), lo.next(), lo.next(), lo.next()]).toEqual([50, 100, 200, 400, 500, 500]);
    const hi = new Backoff(100, 1000, () => 1);
    expect([hi.next(), hi.next(), hi.next(), hi.next(), hi.next()]).toEqual([100, 200, 400, 800, 1000]);
  });

  it('resets to the base delay', () => {
    const b = new Backoff(100, 1000, () => 1);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('rejects nonsense bounds', () => {
    expect(() => new Backoff(0, 10)).toThrow(RangeError);
    expect(() => new Backoff(100, 10)).toThrow(RangeError);
  });

  it('sleep resolves early on abort', async () => {
    const ac = new AbortController();
    const start = Date.now();
    const p = sleep(10_000, ac.signal);
    ac.abort();
    await p;
    expect(Date.now() - start).toBeLessThan(1000);
  });
});
