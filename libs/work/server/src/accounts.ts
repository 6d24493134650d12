import { newSecret, secretMatchesHash, sha256Hex, weakKey } from '@livelab/work-protocol';
import { unauthorized } from './errors';
import { WorkStatements, type AccountRow } from './statements';
import type { SqlDatabase } from './storage/sql-database';

/** Account 1: its key is the server's WORK_ACCOUNT_KEY (the Secret both the server and the k8s clients use). */
export const BOOTSTRAP_ACCOUNT_ID = 1;

export interface CreatedAccount {
  id: number;
  name: string;
  /** shown once: only hashes are stored */
  account_key: string;
  weak_key: string;
}

export interface AccountSummary {
  id: number;
  name: string;
  created_ms: number;
  disabled: boolean;
  hosts: number;
  credit: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Make account 1 hold `accountKey` (created on a new database; the key rotates when the Secret does). */
export async function ensureBootstrapAccount(q: WorkStatements, accountKey: string, name: string, now: number): Promise<void> {
  const stored = await q.accountKeyHash(BOOTSTRAP_ACCOUNT_ID);
  const keyHash = sha256Hex(accountKey);
  const weakHash = sha256Hex(weakKey(BOOTSTRAP_ACCOUNT_ID, accountKey));
  if (stored === undefined) {
    let unique = name;
    for (let i = 2; (await q.accountIdByName(unique)) !== undefined; i++) unique = `${name}-${i}`;
    await q.insertAccount(BOOTSTRAP_ACCOUNT_ID, unique, keyHash, weakHash, now);
  } else if (stored !== keyHash) {
    await q.setAccountKeys(BOOTSTRAP_ACCOUNT_ID, keyHash, weakHash);
  }
}

/**
 * The account whose account key or weak key is `presented`, else a 401 `unauthorized`. Keys are stored as sha256
 * digests only (256-bit random secrets, so a plain hash is enough); the presented key is compared with every
 * account's two digests in constant time, so the time does not depend on which account (if any) it belongs to.
 */
export async function authenticateAccount(q: WorkStatements, presented: string): Promise<{ id: number; accounts: number }> {
  const rows = await q.accountsWithKeys();
  let found: AccountRow | undefined;
  for (const r of rows) {
    // no early exit: every account's two digests are compared
    const a = secretMatchesHash(presented, r.account_key_hash);
    const w = secretMatchesHash(presented, r.weak_key_hash);
    if ((a || w) && !found) found = r;
  }
  if (!found) throw unauthorized();
  if (found.disabled_ms !== null) throw unauthorized(`account ${found.id} is disabled`);
  // how many accounts there are comes with it (the quorum counts accounts when there are several)
  return { id: found.id, accounts: rows.length };
}

export async function listAccounts(q: WorkStatements): Promise<AccountSummary[]> {
  const rows = await q.accountsWithHostsAndCredit();
  return rows.map(({ disabled_ms, ...a }) => ({ ...a, hosts: Number(a.hosts), credit: Number(a.credit), disabled: disabled_ms !== null }));
}

/** Accounts (BOINC's users), each call one transaction: the account CLI and the tests. */
export class Accounts {
  constructor(private readonly db: SqlDatabase) {}

  private tx<T>(fn: (q: WorkStatements) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new WorkStatements(tx, this.db.dialect)));
  }

  /** `work-server account create <name>`: a new account with a random key (ids from 2; 1 is the bootstrap account). */
  create(name: string, now = Date.now()): Promise<CreatedAccount> {
    if (!NAME.test(name)) return Promise.reject(new RangeError('account name: 1–64 characters of A-Z a-z 0-9 _ . -'));
    return this.tx(async (q) => {
      if ((await q.accountIdByName(name)) !== undefined) throw new RangeError(`account "${name}" exists already`);
      const id = Math.max(await q.maxAccountId(), BOOTSTRAP_ACCOUNT_ID) + 1;
      const key = newSecret();
      const weak = weakKey(id, key);
      await q.insertAccount(id, name, sha256Hex(key), sha256Hex(weak), now);
      return { id, name, account_key: key, weak_key: weak };
    });
  }

  /**
   * `work-server account disable <name>`: its keys stop working at once (401); its hosts' in-progress instances
   * time out and are reissued; results already validated stay. Account 1 follows WORK_ACCOUNT_KEY: rotate that.
   */
  disable(name: string, now = Date.now()): Promise<{ id: number; name: string }> {
    return this.tx(async (q) => {
      const id = await q.accountIdByName(name);
      if (id === undefined) throw new RangeError(`no account "${name}"`);
      if (id === BOOTSTRAP_ACCOUNT_ID) throw new RangeError(`account ${BOOTSTRAP_ACCOUNT_ID} is WORK_ACCOUNT_KEY's: rotate that Secret instead`);
      await q.disableAccount(id, now);
      return { id, name };
    });
  }

  count(): Promise<number> {
    return this.tx((q) => q.countAccounts());
  }

  /** Accounts with their hosts and credit (no key material): the summary page and `account list`. */
  list(): Promise<AccountSummary[]> {
    return this.tx(listAccounts);
  }

  authenticate(presented: string): Promise<number> {
    return this.tx(async (q) => (await authenticateAccount(q, presented)).id);
  }
}
