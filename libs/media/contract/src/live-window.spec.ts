import fc from 'fast-check';
import { DVR_WINDOW_S, dvrWindowSegments, MAX_WINDOW_SEGMENTS, shapedWindow } from './live-window';
import { parseFaultRules } from './faults';

describe('the DVR window', () => {
  it('is whole segments, rounded up', () => {
    expect(dvrWindowSegments(DVR_WINDOW_S.default)).toBe(30);
    expect(dvrWindowSegments(30, 2)).toBe(15);
    expect(dvrWindowSegments(7, 2)).toBe(4);
    expect(dvrWindowSegments(0.2)).toBe(1);
    expect(MAX_WINDOW_SEGMENTS).toBe(3600);
  });

  it("a shape's window= is at most what the stream offers, never more", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_WINDOW_SEGMENTS }), fc.option(fc.integer({ min: 1, max: MAX_WINDOW_SEGMENTS }), { nil: undefined }), (offered, shape) => {
        const n = shapedWindow(offered, shape);
        expect(n).toBeLessThanOrEqual(offered);
        expect(n).toBe(shape === undefined ? offered : Math.min(shape, offered));
      }),
      { seed: 1717, numRuns: 300 },
    );
  });

  it('bounds the shape parser', () => {
    expect(parseFaultRules(`shape,window=${MAX_WINDOW_SEGMENTS}`)).toMatchObject({ ok: true, shape: { window: MAX_WINDOW_SEGMENTS } });
    expect(parseFaultRules(`shape,window=${MAX_WINDOW_SEGMENTS + 1}`).ok).toBe(false);
  });
});
