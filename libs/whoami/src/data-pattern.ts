// /data's body, as traefik/whoami's contentReader makes it: `|`, then the cycle "-ABC…Z" by absolute position,
// and a closing `|` at the last byte. Made in slices of a reused block: constant memory for any size.

const CHARSET = Buffer.from('-ABCDEFGHIJKLMNOPQRSTUVWXYZ');
const CYCLE = CHARSET.length; // 27

/** A 27·k-byte block starting at position 0 of the cycle (~64 KiB). */
const BLOCK = Buffer.alloc(CYCLE * 2428);
for (let i = 0; i < BLOCK.length; i++) BLOCK[i] = CHARSET[i % CYCLE];
const MAX_SLICE = BLOCK.length - CYCLE;

/** Byte `i` of a body of `size` bytes. */
export function dataByteAt(i: number, size: number): number {
  if (i === 0 || i === size - 1) return 0x7c; // '|'
  return CHARSET[i % CYCLE];
}

/** The bytes [pos, pos + n) of a body of `size` bytes (n ≤ 64 KiB), as a fresh buffer. */
export function dataChunkAt(pos: number, n: number, size: number): Buffer {
  const parts: Buffer[] = [];
  let p = pos;
  let left = n;
  while (left > 0) {
    const k = Math.min(left, MAX_SLICE);
    const offset = p % CYCLE;
    parts.push(BLOCK.subarray(offset, offset + k));
    p += k;
    left -= k;
  }
  const chunk = Buffer.concat(parts, n); // a copy: the '|' bytes are patched in
  if (pos === 0 && n > 0) chunk[0] = 0x7c;
  if (pos + n === size && n > 0) chunk[n - 1] = 0x7c;
  return chunk;
}
