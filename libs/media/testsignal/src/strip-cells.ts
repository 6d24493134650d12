// Reading a row of black/white cells from a frame: what the timecode strip (top) and the rung strip (bottom) share.
// Browser-safe.

/**
 * The cells of a strip spanning the frame's width between rows y0..y1 as bits (true = white), or null when its
 * guards do not read right or the black/white contrast is unclear. Each cell's luma is the mean over the middle half
 * of the cell (both axes): robust to blur at cell edges and to scaling. The guards are the first and last cells;
 * the threshold between white and black is taken from them.
 */
export function readStripCells(
  rgba: Uint8ClampedArray | Uint8Array,
  width: number,
  rows: { y0: number; y1: number },
  layout: { cells: number; startGuard: readonly boolean[]; endGuard: readonly boolean[] },
): boolean[] | null {
  const cellW = width / layout.cells;
  const luma: number[] = [];
  for (let c = 0; c < layout.cells; c++) {
    const x0 = Math.floor(c * cellW + cellW * 0.25);
    const x1 = Math.max(x0, Math.ceil(c * cellW + cellW * 0.75) - 1);
    let sum = 0;
    let n = 0;
    for (let y = rows.y0; y <= rows.y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = (y * width + x) * 4;
        sum += 0.2126 * rgba[i] + 0.7152 * rgba[i + 1] + 0.0722 * rgba[i + 2];
        n++;
      }
    }
    luma.push(sum / n);
  }
  const endAt = layout.cells - layout.endGuard.length;
  const guards = [...layout.startGuard.map((w, i) => [i, w] as const), ...layout.endGuard.map((w, i) => [endAt + i, w] as const)];
  const minWhite = Math.min(...guards.filter(([, w]) => w).map(([i]) => luma[i]));
  const maxBlack = Math.max(...guards.filter(([, w]) => !w).map(([i]) => luma[i]));
  if (minWhite - maxBlack < 64) return null; // no clear strip here
  const threshold = (minWhite + maxBlack) / 2;
  return luma.map((l) => l > threshold);
}
