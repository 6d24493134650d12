// /data's body, as traefik/whoami makes it: `|`, then the cycle "-ABC…Z" by absolute position, and a closing `|`.
// size 0 or 1 gives an empty body (as the original). Generated in chunks: constant memory for any size.
import { Readable } from 'node:stream';

const CHARSET = Buffer.from('-ABCDEFGHIJKLMNOPQRSTUVWXYZ');
const CYCLE = CHARSET.length; // 27

/** A 27·k-byte block starting at position 0 of the cycle, reused for every chunk. */
const BLOCK = Buffer.alloc(CYCLE * 2428); // ~64 KiB
for (let i = 0; i < BLOCK.length; i++) BLOCK[i] = CHARSET[i % CYCLE];

export const DATA_UNITS: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** Byte `i` of a body of `size` bytes. */
export function dataByteAt(i: number, size: number): number {
  if (i === 0 || i === size - 1) return 0x7c; // '|'
  return CHARSET[i % CYCLE];
}

/** The bytes [start, end] (inclusive) of a body of `size` bytes, streamed in ≤ 64 KiB chunks. */
export function dataStream(size: number, start = 0, end = size - 1): Readable {
  if (size <= 1) return Readable.from([]);
  let pos = start;
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (pos > end) {
        this.push(null);
        return;
      }
      const n = Math.min(end - pos + 1, BLOCK.length - CYCLE);
      const offset = pos % CYCLE;
      const chunk = Buffer.from(BLOCK.subarray(offset, offset + n)); // copy: we patch the '|' bytes
      if (pos === 0) chunk[0] = 0x7c;
      if (pos + n - 1 === size - 1) chunk[n - 1] = 0x7c;
      pos += n;
      this.push(chunk);
    },
  });
}

/** The body length traefik/whoami sends for ?size=&unit= (it drops the whole body when size <= 1). */
export function dataLength(size: number): number {
  return size <= 1 ? 0 : size;
}
