import type { SqlDialect, SqlExecutor } from './storage/sql-database';

/** One instance of a workunit (BOINC's result). */
export interface ResultRow {
  id: number;
  name: string;
  workunit_id: number;
  server_state: 'unsent' | 'in_progress' | 'over';
  outcome: 'success' | 'client_error' | 'no_reply' | 'didnt_need' | null;
  validate_state: 'init' | 'valid' | 'invalid';
  host_id: number | null;
  user_id: number | null;
  deadline_ms: number | null;
  /** the SieveOutput as JSON text, for successes */
  output: string | null;
}

export interface WorkunitRow {
  id: number;
  name: string;
  lo: number;
  hi: number;
  min_quorum: number;
  target_nresults: number;
  max_error_results: number;
  max_total_results: number;
  delay_bound_s: number;
  canonical_result_id: number | null;
  error_mask: string | null;
  assimilated: number;
}

export interface HostRow {
  id: number;
  numbers_per_second: number;
  authenticator_hash: string | null;
}

export interface AccountRow {
  id: number;
  name: string;
  account_key_hash: string;
  weak_key_hash: string;
  created_ms: number;
  disabled_ms: number | null;
}

/** An unsent instance with what a task needs of its workunit. */
export interface SendableResult {
  id: number;
  name: string;
  wu_name: string;
  lo: number;
  hi: number;
  delay_bound_s: number;
}

export type InProgressResult = ResultRow & { lo: number; hi: number; wu_name: string };

export interface NewWorkunit {
  name: string;
  lo: number;
  hi: number;
  minQuorum: number;
  targetNResults: number;
  maxErrorResults: number;
  maxTotalResults: number;
  delayBoundS: number;
  createdMs: number;
}

export interface ReportedOutcome {
  outcome: 'success' | 'client_error';
  receivedMs: number;
  elapsedS: number;
  output: string | null;
  error: string | null;
}

export interface LeaseRow {
  holder: string;
  /** +1 at every change of holder */
  epoch: number;
  expires_ms: number;
  acquired_ms: number;
}

const n = (row: { n: number } | undefined) => Number(row?.n ?? 0);

/**
 * Every SQL statement of the work server, typed, in one place. The text is written once for both back ends
 * (`?` placeholders; standard SQL that SQLite and PostgreSQL both run); where they differ the dialect decides.
 * Made per transaction: `new WorkStatements(tx, dialect)`.
 */
export class WorkStatements {
  constructor(
    private readonly db: SqlExecutor,
    readonly dialect: SqlDialect,
  ) {}

  /** Row locks for PostgreSQL, where replicas run transactions concurrently (SQLite runs one at a time). */
  private get forUpdate(): string {
    return this.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  // meta
  async getMeta(key: string): Promise<string | undefined> {
    return (await this.db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]))?.value;
  }
  /** The value, locked until the transaction ends (the generator's `next_lo`: one generator at a time). */
  async lockMeta(key: string): Promise<string | undefined> {
    return (await this.db.get<{ value: string }>(`SELECT value FROM meta WHERE key = ?${this.forUpdate}`, [key]))?.value;
  }
  async setMeta(key: string, value: string): Promise<void> {
    await this.db.run('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  // accounts
  async accountKeyHash(id: number): Promise<string | undefined> {
    return (await this.db.get<{ account_key_hash: string }>('SELECT account_key_hash FROM account WHERE id = ?', [id]))?.account_key_hash;
  }
  async accountIdByName(name: string): Promise<number | undefined> {
    return (await this.db.get<{ id: number }>('SELECT id FROM account WHERE name = ?', [name]))?.id;
  }
  async insertAccount(id: number, name: string, keyHash: string, weakHash: string, createdMs: number): Promise<void> {
    await this.db.run('INSERT INTO account(id, name, account_key_hash, weak_key_hash, created_ms) VALUES (?, ?, ?, ?, ?)', [id, name, keyHash, weakHash, createdMs]);
  }
  async setAccountKeys(id: number, keyHash: string, weakHash: string): Promise<void> {
    await this.db.run('UPDATE account SET account_key_hash = ?, weak_key_hash = ? WHERE id = ?', [keyHash, weakHash, id]);
  }
  async maxAccountId(): Promise<number> {
    return Number((await this.db.get<{ m: number | null }>('SELECT MAX(id) AS m FROM account'))?.m ?? 0);
  }
  async disableAccount(id: number, nowMs: number): Promise<void> {
    await this.db.run('UPDATE account SET disabled_ms = COALESCE(disabled_ms, ?) WHERE id = ?', [nowMs, id]);
  }
  async countAccounts(): Promise<number> {
    return n(await this.db.get('SELECT COUNT(*) AS n FROM account'));
  }
  async accountsWithKeys(): Promise<AccountRow[]> {
    return this.db.all<AccountRow>('SELECT id, name, account_key_hash, weak_key_hash, created_ms, disabled_ms FROM account ORDER BY id');
  }
  async accountsWithHostsAndCredit() {
    return this.db.all<{ id: number; name: string; created_ms: number; disabled_ms: number | null; hosts: number; credit: number }>(
      `SELECT a.id, a.name, a.created_ms, a.disabled_ms, COUNT(h.id) AS hosts, COALESCE(SUM(h.total_credit), 0) AS credit
       FROM account a LEFT JOIN host h ON h.user_id = a.id GROUP BY a.id ORDER BY a.id`,
    );
  }

  // hosts
  async hostOfAccount(hostId: number, userId: number): Promise<HostRow | undefined> {
    return this.db.get<HostRow>('SELECT id, numbers_per_second, authenticator_hash FROM host WHERE id = ? AND user_id = ?', [hostId, userId]);
  }
  async insertHost(userId: number, h: { name: string; cores: number; memory_mb: number; numbers_per_second: number }, createdMs: number, authenticatorHash: string): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      'INSERT INTO host(user_id, name, cores, memory_mb, numbers_per_second, created_ms, authenticator_hash) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
      [userId, h.name, h.cores, h.memory_mb, h.numbers_per_second, createdMs, authenticatorHash],
    );
    return Number(row?.id);
  }
  /** A speed of 0 (not measured) keeps the stored one. */
  async updateHost(id: number, h: { name: string; cores: number; memory_mb: number; numbers_per_second: number }, nowMs: number): Promise<void> {
    await this.db.run('UPDATE host SET name = ?, cores = ?, memory_mb = ?, numbers_per_second = COALESCE(?, numbers_per_second), last_rpc_ms = ? WHERE id = ?', [
      h.name,
      h.cores,
      h.memory_mb,
      h.numbers_per_second > 0 ? h.numbers_per_second : null,
      nowMs,
      id,
    ]);
  }
  async hostCredit(id: number): Promise<number> {
    return Number((await this.db.get<{ total_credit: number }>('SELECT total_credit FROM host WHERE id = ?', [id]))?.total_credit ?? 0);
  }
  async addHostCredit(id: number, credit: number): Promise<void> {
    await this.db.run('UPDATE host SET total_credit = total_credit + ? WHERE id = ?', [credit, id]);
  }
  async countHosts(): Promise<number> {
    return n(await this.db.get('SELECT COUNT(*) AS n FROM host'));
  }

  // results
  async resultByName(name: string): Promise<ResultRow | undefined> {
    return this.db.get<ResultRow>('SELECT * FROM result WHERE name = ?', [name]);
  }
  async recordReport(id: number, r: ReportedOutcome): Promise<void> {
    await this.db.run("UPDATE result SET server_state = 'over', outcome = ?, received_ms = ?, elapsed_s = ?, output = ?, error = ?, validate_state = ? WHERE id = ?", [
      r.outcome,
      r.receivedMs,
      r.elapsedS,
      r.output,
      r.error,
      r.outcome === 'success' ? 'init' : 'invalid',
      id,
    ]);
  }
  async inProgressOfHost(hostId: number): Promise<InProgressResult[]> {
    return this.db.all<InProgressResult>(
      "SELECT r.*, w.lo, w.hi, w.name AS wu_name FROM result r JOIN workunit w ON w.id = r.workunit_id WHERE r.host_id = ? AND r.server_state = 'in_progress' ORDER BY r.id",
      [hostId],
    );
  }
  /**
   * The oldest unsent instance of a workunit this host (with `perAccount`: this account) has no instance of. On
   * PostgreSQL the row is locked and rows locked by a concurrent scheduler request are skipped, so no instance is
   * sent twice whatever the number of replicas.
   */
  async nextSendable(hostId: number, userId: number, perAccount: boolean): Promise<SendableResult | undefined> {
    const lock = this.dialect === 'postgres' ? ' FOR UPDATE OF r SKIP LOCKED' : '';
    return this.db.get<SendableResult>(
      `SELECT r.id, r.name, w.name AS wu_name, w.lo, w.hi, w.delay_bound_s FROM result r JOIN workunit w ON w.id = r.workunit_id
       WHERE r.server_state = 'unsent' AND NOT EXISTS (SELECT 1 FROM result r2 WHERE r2.workunit_id = r.workunit_id AND (r2.host_id = ? OR (? = 1 AND r2.user_id = ?)))
       ORDER BY r.id LIMIT 1${lock}`,
      [hostId, perAccount ? 1 : 0, userId],
    );
  }
  async markSent(id: number, hostId: number, userId: number, sentMs: number, deadlineMs: number): Promise<boolean> {
    const r = await this.db.run("UPDATE result SET server_state = 'in_progress', host_id = ?, user_id = ?, sent_ms = ?, deadline_ms = ? WHERE id = ? AND server_state = 'unsent'", [
      hostId,
      userId,
      sentMs,
      deadlineMs,
      id,
    ]);
    return r.changes === 1;
  }
  async countUnsent(): Promise<number> {
    return n(await this.db.get("SELECT COUNT(*) AS n FROM result WHERE server_state = 'unsent'"));
  }
  async countResultsOfWorkunit(wuId: number): Promise<number> {
    return n(await this.db.get('SELECT COUNT(*) AS n FROM result WHERE workunit_id = ?', [wuId]));
  }
  async insertResult(name: string, wuId: number): Promise<void> {
    await this.db.run("INSERT INTO result(name, workunit_id, server_state) VALUES (?, ?, 'unsent')", [name, wuId]);
  }
  async resultsOfWorkunit(wuId: number): Promise<ResultRow[]> {
    return this.db.all<ResultRow>('SELECT * FROM result WHERE workunit_id = ? ORDER BY id', [wuId]);
  }
  async setValidateState(id: number, state: 'valid' | 'invalid', credit: number): Promise<void> {
    await this.db.run('UPDATE result SET validate_state = ?, granted_credit = ? WHERE id = ?', [state, credit, id]);
  }
  /** Unsent instances of a finished or given-up workunit are not needed any more. */
  async retireUnsent(wuId: number): Promise<void> {
    await this.db.run("UPDATE result SET server_state = 'over', outcome = 'didnt_need' WHERE workunit_id = ? AND server_state = 'unsent'", [wuId]);
  }
  async pastDeadline(nowMs: number): Promise<Array<{ id: number; workunit_id: number }>> {
    return this.db.all("SELECT id, workunit_id FROM result WHERE server_state = 'in_progress' AND deadline_ms <= ? ORDER BY id", [nowMs]);
  }
  async markNoReply(id: number): Promise<void> {
    await this.db.run("UPDATE result SET server_state = 'over', outcome = 'no_reply' WHERE id = ? AND server_state = 'in_progress'", [id]);
  }
  async resultOutput(id: number): Promise<string | null> {
    return (await this.db.get<{ output: string | null }>('SELECT output FROM result WHERE id = ?', [id]))?.output ?? null;
  }
  async resultCountsByState() {
    const rows = await this.db.all<{ server_state: string; outcome: string | null; validate_state: string; n: number }>(
      'SELECT server_state, outcome, validate_state, COUNT(*) AS n FROM result GROUP BY server_state, outcome, validate_state ORDER BY server_state, outcome NULLS FIRST, validate_state',
    );
    return rows.map((r) => ({ ...r, n: Number(r.n) }));
  }

  // workunits
  /** The workunit, locked until the transaction ends (one transitioner per workunit at a time). */
  async lockWorkunit(id: number): Promise<WorkunitRow | undefined> {
    return this.db.get<WorkunitRow>(`SELECT * FROM workunit WHERE id = ?${this.forUpdate}`, [id]);
  }
  async workunitName(id: number): Promise<string | undefined> {
    return (await this.db.get<{ name: string }>('SELECT name FROM workunit WHERE id = ?', [id]))?.name;
  }
  async insertWorkunit(w: NewWorkunit): Promise<number> {
    const row = await this.db.get<{ id: number }>(
      `INSERT INTO workunit(name, lo, hi, min_quorum, target_nresults, max_error_results, max_total_results, delay_bound_s, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [w.name, w.lo, w.hi, w.minQuorum, w.targetNResults, w.maxErrorResults, w.maxTotalResults, w.delayBoundS, w.createdMs],
    );
    return Number(row?.id);
  }
  async setCanonical(wuId: number, resultId: number): Promise<void> {
    await this.db.run('UPDATE workunit SET canonical_result_id = ? WHERE id = ?', [resultId, wuId]);
  }
  async setErrorMask(wuId: number, mask: string): Promise<void> {
    await this.db.run('UPDATE workunit SET error_mask = ? WHERE id = ?', [mask, wuId]);
  }
  async markAssimilated(wuId: number): Promise<void> {
    await this.db.run('UPDATE workunit SET assimilated = 1 WHERE id = ?', [wuId]);
  }
  async workunitCounts(): Promise<{ total: number; done: number; error: number }> {
    const row = await this.db.get<{ total: number; done: number | null; error: number | null }>(
      'SELECT COUNT(*) AS total, SUM(CASE WHEN assimilated = 1 THEN 1 ELSE 0 END) AS done, SUM(CASE WHEN error_mask IS NOT NULL THEN 1 ELSE 0 END) AS error FROM workunit',
    );
    return { total: Number(row?.total ?? 0), done: Number(row?.done ?? 0), error: Number(row?.error ?? 0) };
  }

  // canonical results
  async insertCanonical(c: { workunitId: number; lo: number; hi: number; count: number; sum: string; sha256: string; resultId: number; assimilatedMs: number }): Promise<void> {
    await this.db.run('INSERT INTO canonical(workunit_id, lo, hi, count, sum, sha256, result_id, assimilated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      c.workunitId,
      c.lo,
      c.hi,
      c.count,
      c.sum,
      c.sha256,
      c.resultId,
      c.assimilatedMs,
    ]);
  }
  async canonicalRanges(): Promise<Array<{ lo: number; hi: number; count: number }>> {
    return this.db.all('SELECT lo, hi, count FROM canonical ORDER BY lo');
  }

  // the daemon lease
  /** Take the lease `name` for `holder` if it is free, expired or already held by `holder` (then renewed); returns who holds it now. */
  async tryLease(name: string, holder: string, nowMs: number, ttlMs: number): Promise<LeaseRow> {
    await this.db.run(
      `INSERT INTO lease(name, holder, expires_ms, epoch, acquired_ms) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms,
         epoch = CASE WHEN lease.holder = excluded.holder THEN lease.epoch ELSE lease.epoch + 1 END,
         acquired_ms = CASE WHEN lease.holder = excluded.holder THEN lease.acquired_ms ELSE excluded.acquired_ms END
       WHERE lease.holder = excluded.holder OR lease.expires_ms <= ?`,
      [name, holder, nowMs + ttlMs, nowMs, nowMs],
    );
    const row = await this.db.get<LeaseRow>('SELECT holder, epoch, expires_ms, acquired_ms FROM lease WHERE name = ?', [name]);
    if (!row) throw new Error(`lease ${name} vanished`);
    return { ...row, epoch: Number(row.epoch), expires_ms: Number(row.expires_ms), acquired_ms: Number(row.acquired_ms) };
  }
  /** Give the lease up now (graceful shutdown), so another replica takes it without waiting for the expiry. */
  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.run('UPDATE lease SET expires_ms = 0 WHERE name = ? AND holder = ?', [name, holder]);
  }
}
