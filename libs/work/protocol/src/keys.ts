import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Account keys. Account 1's key is the secret `WORK_ACCOUNT_KEY`; more accounts are created with
 * `work-server account create <name>`. Like BOINC's weak account key, a client may present `<user id>_<hex>`
 * instead, where hex = sha256(account key + ":weak-key"): it lets a host attach and compute but cannot be turned
 * back into the account key, so the Kubernetes Secret of the clients can hold the weak key.
 */
export function weakKey(userId: number, accountKey: string): string {
  return `${userId}_${createHash('sha256').update(`${accountKey}:weak-key`).digest('hex')}`;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A new random secret (account key or host authenticator): 32 bytes, lower-case hex. */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/** Does sha256(presented) equal the stored hex digest? Constant-time in the secret. */
export function secretMatchesHash(presented: string, storedSha256Hex: string | null | undefined): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = Buffer.from(storedSha256Hex ?? '', 'hex');
  if (b.length !== a.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
