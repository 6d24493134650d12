import fc from 'fast-check';
import { decodeRungStrip, encodeRungCells, renderRungStrip, RUNG_STRIP } from './rung-strip';
import { renderTimecodeStrip } from './timecode-strip';

describe('rung strip', () => {
  it('round-trips every index at ladder sizes, also scaled down', () => {
    for (let index = 0; index <= RUNG_STRIP.maxIndex; index++) {
      for (const [w, h] of [[1920, 1080], [640, 360], [160, 90]]) {
        expect(decodeRungStrip(renderRungStrip(index, w, h), w, h)).toBe(index);
      }
    }
  });

  it('encodes guards, the index and its complement', () => {
    expect(encodeRungCells(5).map((c) => (c ? 1 : 0)).join('')).toBe('1010' + '0101' + '1010' + '0101');
    expect(() => encodeRungCells(16)).toThrow(RangeError);
    expect(() => encodeRungCells(-1)).toThrow(RangeError);
  });

  it('reads nothing from a frame without a rung strip (a single-rendition stream, a grey frame)', () => {
    expect(decodeRungStrip(new Uint8ClampedArray(320 * 180 * 4).fill(128), 320, 180)).toBeNull();
    // The timecode strip is at the top: the bottom of such a frame is grey.
    expect(decodeRungStrip(renderTimecodeStrip(1_700_000_000_000, 320, 180), 320, 180)).toBeNull();
  });

  it('rejects a strip whose complement does not match (a damaged cell)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 4, max: 11 }), (index, cell) => {
        const w = 320;
        const h = 180;
        const rgba = renderRungStrip(index, w, h);
        const cellW = w / RUNG_STRIP.cells;
        for (let y = 0; y < h; y++) {
          for (let x = Math.floor(cell * cellW); x < Math.floor((cell + 1) * cellW); x++) {
            const i = (y * w + x) * 4;
            rgba[i] = rgba[i + 1] = rgba[i + 2] = 255 - rgba[i];
          }
        }
        expect(decodeRungStrip(rgba, w, h)).toBeNull();
      }),
      { seed: 17, numRuns: 100 },
    );
  });
});
