// Machine-readable rung strip: one row of 16 black/white cells across the bottom of every frame of an ABR ladder
// rung, carrying the rung's index (0 = the top rung) so a page or a test can tell from the decoded frame which
// rendition the player shows — the timecode strip (top) is the same in every rung, this one differs. Browser-safe.
//
// Layout (relative to the frame, so it decodes from a scaled-down canvas):
//   16 equal cells across the full width, strip height = 4 % of the frame height (at least 8 px when drawn),
//   touching the bottom edge.
//   cells 0-3    start guard  1 0 1 0          (1 = white)
//   cells 4-7    rung index, 4 bits, most significant bit first (0-15)
//   cells 8-11   the index's complement (each bit inverted): a check, and every frame has white and black cells
//   cells 12-15  end guard    0 1 0 1
// Cells are 4× wider than the timecode strip's, so the strip survives the lowest rung's scaling and blur.
// A decode is accepted only when both guards read right, the contrast is clear and the complement matches.

import { readStripCells } from './strip-cells';

export const RUNG_STRIP = {
  cells: 16,
  heightFraction: 0.04,
  minHeightPx: 8,
  indexBits: 4,
  indexStart: 4,
  checkStart: 8,
  startGuard: [true, false, true, false],
  endGuard: [false, true, false, true],
  maxIndex: 15,
} as const;

/** Strip height in pixels for a frame of this height, as the generator draws it. */
export const rungStripHeight = (frameHeight: number) =>
  Math.max(RUNG_STRIP.minHeightPx, Math.round(frameHeight * RUNG_STRIP.heightFraction));

/** The 16 cells for a rung index (true = white). */
export function encodeRungCells(index: number): boolean[] {
  const s = RUNG_STRIP;
  if (!Number.isInteger(index) || index < 0 || index > s.maxIndex) {
    throw new RangeError(`rung index must be an integer in [0, ${s.maxIndex}]: ${index}`);
  }
  const bits: boolean[] = [];
  for (let bit = s.indexBits - 1; bit >= 0; bit--) bits.push(((index >> bit) & 1) === 1);
  return [...s.startGuard, ...bits, ...bits.map((b) => !b), ...s.endGuard];
}

/**
 * Decode the rung index from an RGBA frame (e.g. canvas getImageData of the video, at any scale).
 * Returns the index, or null when the frame has no valid rung strip (a single-rendition stream has none).
 */
export function decodeRungStrip(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): number | null {
  const s = RUNG_STRIP;
  if (width < s.cells || height < 4 || rgba.length < width * height * 4) return null;
  const stripH = height * s.heightFraction;
  // The middle half of the strip's rows, counted from the bottom edge.
  const y0 = Math.max(0, Math.floor(height - stripH * 0.75));
  const y1 = Math.min(height - 1, Math.max(y0, Math.ceil(height - stripH * 0.25) - 1));
  const bits = readStripCells(rgba, width, { y0, y1 }, s);
  if (!bits) return null;
  let index = 0;
  for (let i = 0; i < s.indexBits; i++) {
    const bit = bits[s.indexStart + i];
    if (bit === bits[s.checkStart + i]) return null; // complement mismatch
    index = index * 2 + (bit ? 1 : 0);
  }
  return index;
}

/** Render the strip into an RGBA buffer (strip at the bottom on grey): for tests. */
export function renderRungStrip(index: number, width: number, height: number): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(width * height * 4).fill(128);
  const cells = encodeRungCells(index);
  const stripH = Math.max(1, Math.round(height * RUNG_STRIP.heightFraction));
  for (let y = height - stripH; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = cells[Math.min(RUNG_STRIP.cells - 1, Math.floor((x * RUNG_STRIP.cells) / width))] ? 255 : 0;
      const i = (y * width + x) * 4;
      rgba[i] = rgba[i + 1] = rgba[i + 2] = v;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}
