import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Does a presented secret (publish key, token, password) equal the expected one? Constant-time: both sides are
 * hashed first, so neither the content nor the length leaks through the comparison's timing.
 */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}
