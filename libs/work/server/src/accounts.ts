import { newSecret, secretMatchesHash, sha256Hex, weakKey } from '@livelab/work-protocol';
import type { Db } from './database';
import { unauthorized } from './errors';

/** Account 1: its key is the server's WORK_ACCOUNT_KEY (the Secret both the server and the k8s clients use). */
export const BOOTSTRAP_ACCOUNT_ID = 1;

export interface AccountRow {
  id: number;
  name: string;
  account_key_hash: string;
  weak_key_hash: string;
  created_ms: number;
  disabled_ms: number | null;
}

export interface CreatedAccount {
  id: number;
  name: string;
  /** shown once: only hashes are stored */
  account_key: string;
  weak_key: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Accounts (BOINC's users). Keys are stored as sha256 digests only (they are 256-bit random secrets, so a plain
 * hash is enough); a presented key is compared against every account's digests in constant time, so the time
 * does not depend on which account (if any) it belongs to.
 */
export class Accounts {
  constructor(private readonly db: Db) {}

  /** Make account 1 hold `accountKey` (created on a new database; the key rotates when the Secret does). */
  ensureBootstrap(accountKey: string, name = 'default', now = Date.now()): void {
    const row = this.db.prepare('SELECT account_key_hash FROM account WHERE id = ?').get(BOOTSTRAP_ACCOUNT_ID) as { account_key_hash: string } | undefined;
    const keyHash = sha256Hex(accountKey);
    const weakHash = sha256Hex(weakKey(BOOTSTRAP_ACCOUNT_ID, accountKey));
    if (!row) {
      let unique = name;
      for (let i = 2; this.db.prepare('SELECT 1 FROM account WHERE name = ?').get(unique); i++) unique = `${name}-${i}`;
      this.db
        .prepare('INSERT INTO account(id, name, account_key_hash, weak_key_hash, created_ms) VALUES (?, ?, ?, ?, ?)')
        .run(BOOTSTRAP_ACCOUNT_ID, unique, keyHash, weakHash, now);
    } else if (row.account_key_hash !== keyHash) {
      this.db.prepare('UPDATE account SET account_key_hash = ?, weak_key_hash = ? WHERE id = ?').run(keyHash, weakHash, BOOTSTRAP_ACCOUNT_ID);
    }
  }

  /** `work-server account create <name>`: a new account with a random key (ids from 2; 1 is the bootstrap account). */
  create(name: string, now = Date.now()): CreatedAccount {
    if (!NAME.test(name)) throw new RangeError('account name: 1–64 characters of A-Z a-z 0-9 _ . -');
    return this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM account WHERE name = ?').get(name)) throw new RangeError(`account "${name}" exists already`);
      const max = (this.db.prepare('SELECT MAX(id) AS m FROM account').get() as { m: number | null }).m ?? 0;
      const id = Math.max(max, BOOTSTRAP_ACCOUNT_ID) + 1;
      const key = newSecret();
      const weak = weakKey(id, key);
      this.db
        .prepare('INSERT INTO account(id, name, account_key_hash, weak_key_hash, created_ms) VALUES (?, ?, ?, ?, ?)')
        .run(id, name, sha256Hex(key), sha256Hex(weak), now);
      return { id, name, account_key: key, weak_key: weak };
    })();
  }

  /**
   * `work-server account disable <name>`: its keys stop working at once (401); its hosts' in-progress instances
   * time out and are reissued; results already validated stay. Account 1 follows WORK_ACCOUNT_KEY: rotate that.
   */
  disable(name: string, now = Date.now()): { id: number; name: string } {
    const row = this.db.prepare('SELECT id FROM account WHERE name = ?').get(name) as { id: number } | undefined;
    if (!row) throw new RangeError(`no account "${name}"`);
    if (row.id === BOOTSTRAP_ACCOUNT_ID) throw new RangeError(`account ${BOOTSTRAP_ACCOUNT_ID} is WORK_ACCOUNT_KEY's: rotate that Secret instead`);
    this.db.prepare('UPDATE account SET disabled_ms = COALESCE(disabled_ms, ?) WHERE id = ?').run(now, row.id);
    return { id: row.id, name };
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM account').get() as { n: number }).n;
  }

  /** Accounts with their hosts and credit (no key material): the summary page and `account list`. */
  list(): Array<{ id: number; name: string; created_ms: number; disabled: boolean; hosts: number; credit: number }> {
    const rows = this.db
      .prepare(
        `SELECT a.id, a.name, a.created_ms, a.disabled_ms, COUNT(h.id) AS hosts, COALESCE(SUM(h.total_credit), 0) AS credit
         FROM account a LEFT JOIN host h ON h.user_id = a.id GROUP BY a.id ORDER BY a.id`,
      )
      .all() as Array<{ id: number; name: string; created_ms: number; disabled_ms: number | null; hosts: number; credit: number }>;
    return rows.map(({ disabled_ms, ...a }) => ({ ...a, disabled: disabled_ms !== null }));
  }

  /** The account whose account key or weak key is `presented`, else a 401 `unauthorized`. */
  authenticate(presented: string): number {
    const rows = this.db.prepare('SELECT id, account_key_hash, weak_key_hash, disabled_ms FROM account').all() as AccountRow[];
    let found: AccountRow | undefined;
    for (const r of rows) {
      // no early exit: every account's two digests are compared
      const a = secretMatchesHash(presented, r.account_key_hash);
      const w = secretMatchesHash(presented, r.weak_key_hash);
      if ((a || w) && !found) found = r;
    }
    if (!found) throw unauthorized();
    if (found.disabled_ms !== null) throw unauthorized(`account ${found.id} is disabled`);
    return found.id;
  }
}
