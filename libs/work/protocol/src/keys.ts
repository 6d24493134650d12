import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Account keys. The project has one account whose key is the secret `WORK_ACCOUNT_KEY`. Like BOINC's weak
 * account key, a client may present `<user id>_<hex>` instead, where hex = sha256(account key + ":weak-key"): it
 * lets a host attach and compute but cannot be turned back into the account key, so the Kubernetes Secret of the
 * clients can hold the weak key.
 */
export function weakKey(userId: number, accountKey: string): string {
  return `${userId}_${createHash('sha256').update(`${accountKey}:weak-key`).digest('hex')}`;
}

function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** Does `presented` match the account key or its weak key? Constant-time. */
export function keyMatches(presented: string, userId: number, accountKey: string): boolean {
  const a = safeEqual(presented, accountKey);
  const w = safeEqual(presented, weakKey(userId, accountKey));
  return a || w;
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
