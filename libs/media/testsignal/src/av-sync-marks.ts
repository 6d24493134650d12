// Where and when the test signal marks A/V sync: a white square flashed on the frames of the first 100 ms of each
// wall-clock second, and a 1 kHz beep sounding exactly while it is shown. The generator draws and sounds them
// (libs/media/ffmpeg test-signal-args.ts); the page finds them again (libs/media/player av-sync-meter.ts).
// Browser-safe: no node imports.

/** Length of the flash and the beep, s. */
export const AV_MARK_SECONDS = 0.1;
/** Beep tone, Hz, and amplitude (0–1). */
export const BEEP_HZ = 1000;
export const BEEP_AMPLITUDE = 0.5;

/** The flash square in a frame of this size, px: right of centre, a sixth of the height, below the strip. */
export function flashBox(width: number, height: number): { x: number; y: number; size: number } {
  const size = Math.round(height * 0.16);
  return { x: width - size - Math.round(width * 0.03), y: Math.floor(height * 0.16), size };
}
