import { decodeTimecodeStrip, encodeTimecodeCells, renderTimecodeStrip, TIMECODE_STRIP } from './timecode-strip';

const T = 1_764_000_000_123;

function scale(src: Uint8ClampedArray, w: number, h: number, W: number, H: number): Uint8ClampedArray {
  // Box-filter downscale, like a canvas drawImage with smoothing.
  const out = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const sx0 = Math.floor((x * w) / W), sx1 = Math.max(sx0 + 1, Math.floor(((x + 1) * w) / W));
      const sy0 = Math.floor((y * h) / H), sy1 = Math.max(sy0 + 1, Math.floor(((y + 1) * h) / H));
      for (let c = 0; c < 4; c++) {
        let s = 0, n = 0;
        for (let yy = sy0; yy < sy1; yy++) for (let xx = sx0; xx < sx1; xx++) {
            s += src[(yy * w + xx) * 4 + c];
            n++;
          }
        out[(y * W + x) * 4 + c] = s / n;
      }
    }
  return out;
}

describe('timecode strip', () => {
  it('has guards, 48 time bits and an 8-bit checksum in 64 cells', () => {
    const cells = encodeTimecodeCells(T);
    expect(cells).toHaveLength(TIMECODE_STRIP.cells);
    expect(cells.slice(0, 4)).toEqual([true, false, true, false]);
    expect(cells.slice(60)).toEqual([false, true, false, true]);
  });

  it.each([0, 1, 999, T, 2 ** 48 - 1])('round-trips %p', (ms) => {
    expect(decodeTimecodeStrip(renderTimecodeStrip(ms, 640, 360), 640, 360)).toBe(ms);
  });

  it('decodes after downscaling to a small canvas', () => {
    const full = renderTimecodeStrip(T, 1280, 720);
    expect(decodeTimecodeStrip(scale(full, 1280, 720, 256, 144), 256, 144)).toBe(T);
    expect(decodeTimecodeStrip(scale(full, 1280, 720, 160, 90), 160, 90)).toBe(T);
  });

  it('decodes through noise and compressed contrast', () => {
    const img = renderTimecodeStrip(T, 640, 360);
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < img.length; i += 4)
      for (let c = 0; c < 3; c++) img[i + c] = 16 + (img[i + c] * 219) / 255 + (rnd() - 0.5) * 40; // TV range + noise
    expect(decodeTimecodeStrip(img, 640, 360)).toBe(T);
  });

  it('returns null for frames without a strip and for damaged strips', () => {
    expect(decodeTimecodeStrip(new Uint8ClampedArray(640 * 360 * 4).fill(200), 640, 360)).toBeNull();
    const img = renderTimecodeStrip(T, 640, 360);
    // Flip one time-bit cell (cell 30): the checksum no longer matches.
    const cellW = 640 / 64;
    for (let y = 0; y < 14; y++)
      for (let x = Math.floor(30 * cellW); x < Math.floor(31 * cellW); x++) {
        const i = (y * 640 + x) * 4;
        img[i] = img[i + 1] = img[i + 2] = 255 - img[i];
      }
    expect(decodeTimecodeStrip(img, 640, 360)).toBeNull();
    expect(decodeTimecodeStrip(new Uint8ClampedArray(10), 32, 32)).toBeNull();
  });

  it('rejects times it cannot encode', () => {
    expect(() => encodeTimecodeCells(-1)).toThrow(RangeError);
    expect(() => encodeTimecodeCells(1.5)).toThrow(RangeError);
    expect(() => encodeTimecodeCells(2 ** 48)).toThrow(RangeError);
  });
});
