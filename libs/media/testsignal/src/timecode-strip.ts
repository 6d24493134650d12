// Machine-readable timecode strip: one row of black/white cells across the top of every frame that encodes
// the frame's capture time in epoch milliseconds. The generator draws it with ffmpeg filters; the page decodes
// it from the displayed frame to measure glass-to-glass latency. Browser-safe: no node imports.
//
// Layout (positions relative to the frame, so it decodes from a scaled-down canvas):
//   64 equal cells across the full width, strip height = 4 % of the frame height (at least 8 px when drawn).
//   cells 0-3    start guard  1 0 1 0          (1 = white)
//   cells 4-51   48-bit epoch milliseconds, most significant bit first
//   cells 52-59  checksum: the sum of the six bytes of the timestamp, mod 256, MSB first
//   cells 60-63  end guard    0 1 0 1
// A decode is accepted only when both guards read right, the black/white contrast is clear and the
// checksum matches, so a damaged or absent strip gives null instead of a wrong time.

import { readStripCells } from './strip-cells';

export const TIMECODE_STRIP = {
  cells: 64,
  heightFraction: 0.04,
  minHeightPx: 8,
  timeBits: 48,
  timeStart: 4,
  checksumStart: 52,
  checksumBits: 8,
  startGuard: [true, false, true, false],
  endGuard: [false, true, false, true],
} as const;

const MAX_MS = 2 ** 48;

function timeBytes(epochMs: number): number[] {
  const bytes: number[] = [];
  let v = epochMs;
  for (let i = 0; i < 6; i++) {
    bytes.push(v % 256);
    v = Math.floor(v / 256);
  }
  return bytes;
}

/** Checksum of a timestamp: the sum of its six bytes mod 256. */
export function timecodeChecksum(epochMs: number): number {
  return timeBytes(epochMs).reduce((a, b) => a + b, 0) % 256;
}

/** The 64 cells for a capture time (true = white). */
export function encodeTimecodeCells(epochMs: number): boolean[] {
  if (!Number.isInteger(epochMs) || epochMs < 0 || epochMs >= MAX_MS) {
    throw new RangeError(`timecode must be an integer in [0, 2^48): ${epochMs}`);
  }
  const s = TIMECODE_STRIP;
  const cells: boolean[] = [...s.startGuard];
  for (let bit = s.timeBits - 1; bit >= 0; bit--) cells.push(Math.floor(epochMs / 2 ** bit) % 2 === 1);
  const sum = timecodeChecksum(epochMs);
  for (let bit = s.checksumBits - 1; bit >= 0; bit--) cells.push(((sum >> bit) & 1) === 1);
  cells.push(...s.endGuard);
  return cells;
}

/**
 * Decode the capture time from an RGBA frame (e.g. canvas getImageData of the video, at any scale).
 * Returns epoch milliseconds, or null when the frame has no valid strip.
 */
export function decodeTimecodeStrip(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): number | null {
  const s = TIMECODE_STRIP;
  if (width < s.cells || height < 4 || rgba.length < width * height * 4) return null;
  const stripH = height * s.heightFraction;
  const y0 = Math.max(0, Math.floor(stripH * 0.25));
  const y1 = Math.min(height - 1, Math.max(y0, Math.ceil(stripH * 0.75) - 1));
  const bits = readStripCells(rgba, width, { y0, y1 }, s);
  if (!bits) return null;

  let ms = 0;
  for (let i = 0; i < s.timeBits; i++) ms = ms * 2 + (bits[s.timeStart + i] ? 1 : 0);
  let sum = 0;
  for (let i = 0; i < s.checksumBits; i++) sum = sum * 2 + (bits[s.checksumStart + i] ? 1 : 0);
  return sum === timecodeChecksum(ms) ? ms : null;
}

/** Render cells into an RGBA buffer (white/black strip on grey): for tests and for the page's self-check. */
export function renderTimecodeStrip(epochMs: number, width: number, height: number): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(width * height * 4).fill(128);
  const cells = encodeTimecodeCells(epochMs);
  const stripH = Math.max(1, Math.round(height * TIMECODE_STRIP.heightFraction));
  for (let y = 0; y < stripH; y++) {
    for (let x = 0; x < width; x++) {
      const v = cells[Math.min(63, Math.floor((x * 64) / width))] ? 255 : 0;
      const i = (y * width + x) * 4;
      rgba[i] = rgba[i + 1] = rgba[i + 2] = v;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}
