import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

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

/**
 * A secret from `NAME` or `NAME_FILE` (a mounted Secret file; trailing newline trimmed). Throws one clear line
 * when both or neither are set: there is never a default.
 */
export function readSecret(name: string, env: Record<string, string | undefined> = process.env): string {
  const direct = env[name]?.trim();
  const file = env[`${name}_FILE`]?.trim();
  if (direct && file) throw new Error(`set either ${name} or ${name}_FILE, not both`);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${name}_FILE=${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const value = text.trim();
    if (!value) throw new Error(`${name}_FILE=${file} is empty`);
    return value;
  }
  if (direct) return direct;
  throw new Error(`${name} (or ${name}_FILE) is required and has no default`);
}
