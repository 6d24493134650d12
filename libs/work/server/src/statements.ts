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

  /**
   * A one-column table `(value)` of the integers in one JSON array parameter: a list of any length is one
   * parameter, so the statement text (and its prepared statement) stays the same.
   */
  private get idList(): string {
    return this.dialect === 'postgres' ? 'SELECT CAST(value AS BIGINT) AS value FROM jsonb_array_elements_text(CAST(? AS jsonb))' : 'SELECT value FROM json_each(?)';
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
  /**
   * The scheduler RPC's host update, returning the host (one round trip instead of a read and an update). The
   * caller checks the authenticator it returns and throws (rolling the update back) when it does not match.
   */
  async touchHost(id: number, userId: number, h: { name: string; cores: number; memory_mb: number; numbers_per_second: number }, nowMs: number): Promise<(HostRow & { total_credit: number }) | undefined> {
    return this.db.get(
      'UPDATE host SET name = ?, cores = ?, memory_mb = ?, numbers_per_second = COALESCE(?, numbers_per_second), last_rpc_ms = ? WHERE id = ? AND user_id = ? RETURNING id, numbers_per_second, authenticator_hash, total_credit',
      [h.name, h.cores, h.memory_mb, h.numbers_per_second > 0 ? h.numbers_per_second : null, nowMs, id, userId],
    );
  }
  /** `credit` for every host id in `hostIds` (a JSON array; a host listed twice gets it twice): one statement. */
  async addHostCredits(hostIds: number[], credit: number): Promise<void> {
    if (!hostIds.length) return;
    const ids = JSON.stringify(hostIds);
    // the casts: PostgreSQL would infer an integer type for a bare parameter next to COUNT(*) or 0
    await this.db.run(`UPDATE host SET total_credit = total_credit + CAST(? AS DOUBLE PRECISION) * (SELECT COUNT(*) FROM (${this.idList}) l WHERE l.value = host.id) WHERE id IN (${this.idList})`, [credit, ids, ids]);
  }
  async hostCredit(id: number): Promise<number> {
    return Number((await this.db.get<{ total_credit: number }>('SELECT total_credit FROM host WHERE id = ?', [id]))?.total_credit ?? 0);
  }
  async countHosts(): Promise<number> {
    return n(await this.db.get('SELECT COUNT(*) AS n FROM host'));
  }

  // results
  async resultByName(name: string): Promise<ResultRow | undefined> {
    return this.db.get<ResultRow>('SELECT * FROM result WHERE name = ?', [name]);
  }
  /**
   * Record the report of instance `name` if it was sent to `hostId` and may still be reported (in progress, or
   * past its deadline without a reply); returns its workunit, or undefined when nothing changed (then
   * `resultByName` tells why). One round trip for the common case.
   */
  async recordReport(name: string, hostId: number, r: ReportedOutcome): Promise<number | undefined> {
    const row = await this.db.get<{ workunit_id: number }>(
      `UPDATE result SET server_state = 'over', outcome = ?, received_ms = ?, elapsed_s = ?, output = ?, error = ?, validate_state = ?
       WHERE name = ? AND host_id = ? AND (server_state = 'in_progress' OR (server_state = 'over' AND outcome = 'no_reply')) RETURNING workunit_id`,
      [r.outcome, r.receivedMs, r.elapsedS, r.output, r.error, r.outcome === 'success' ? 'init' : 'invalid', name, hostId],
    );
    return row?.workunit_id;
  }
  async inProgressOfHost(hostId: number): Promise<InProgressResult[]> {
    return this.db.all<InProgressResult>(
      "SELECT r.*, w.lo, w.hi, w.name AS wu_name FROM result r JOIN workunit w ON w.id = r.workunit_id WHERE r.host_id = ? AND r.server_state = 'in_progress' ORDER BY r.id",
      [hostId],
    );
  }
  /**
   * Send the oldest unsent instance of a workunit this host (with `perAccount`: this account) has no instance of
   * to this host, in one statement; returns it with what a task needs of its workunit. On PostgreSQL the row is
   * locked and rows locked by a concurrent scheduler request are skipped, so no instance is sent twice whatever
   * the number of replicas.
   */
  async assignNext(hostId: number, userId: number, perAccount: boolean, sentMs: number): Promise<SendableResult & { deadline_ms: number } | undefined> {
    const lock = this.dialect === 'postgres' ? ' FOR UPDATE OF r SKIP LOCKED' : '';
    const wu = (col: string) => `(SELECT w.${col} FROM workunit w WHERE w.id = result.workunit_id)`;
    return this.db.get(
      `UPDATE result SET server_state = 'in_progress', host_id = ?, user_id = ?, sent_ms = ?, deadline_ms = ? + 1000 * ${wu('delay_bound_s')}
       WHERE server_state = 'unsent' AND id = (
         SELECT r.id FROM result r WHERE r.server_state = 'unsent'
           AND NOT EXISTS (SELECT 1 FROM result r2 WHERE r2.workunit_id = r.workunit_id AND (r2.host_id = ? OR (? = 1 AND r2.user_id = ?)))
         ORDER BY r.id LIMIT 1${lock})
       RETURNING id, name, deadline_ms, ${wu('name')} AS wu_name, ${wu('lo')} AS lo, ${wu('hi')} AS hi, ${wu('delay_bound_s')} AS delay_bound_s`,
      [hostId, userId, sentMs, sentMs, hostId, perAccount ? 1 : 0, userId],
    );
  }
  async countUnsent(): Promise<number> {
    return n(await this.db.get("SELECT COUNT(*) AS n FROM result WHERE server_state = 'unsent'"));
  }
  /**
   * `count` new unsent instances of each workunit in `wuIds` (a JSON array), named `<workunit>_<n>` with n from
   * the number of instances it has: one statement. Run under the workunit's lock (transitioner) or for new
   * workunits (generator).
   */
  async createInstances(wuIds: number[], count: number): Promise<void> {
    if (!wuIds.length || count < 1) return;
    await this.db.run(
      `INSERT INTO result(name, workunit_id, server_state)
       WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < ?)
       SELECT w.name || '_' || CAST((SELECT COUNT(*) FROM result r WHERE r.workunit_id = w.id) + k.i AS TEXT), w.id, 'unsent'
       FROM workunit w CROSS JOIN k WHERE w.id IN (${this.idList}) ORDER BY w.id, k.i`,
      [count, JSON.stringify(wuIds)],
    );
  }
  async resultsOfWorkunit(wuId: number): Promise<ResultRow[]> {
    return this.db.all<ResultRow>('SELECT * FROM result WHERE workunit_id = ? ORDER BY id', [wuId]);
  }
  /**
   * The validator's verdict in one statement: `valid` get `credit`, `invalid` none. Only results not judged yet
   * change (a result is credited at most once, whoever runs the validator); returns the hosts of the results
   * made valid, one entry per result, for `addHostCredits`.
   */
  async judge(valid: number[], invalid: number[], credit: number): Promise<number[]> {
    if (!valid.length && !invalid.length) return [];
    const v = JSON.stringify(valid);
    const rows = await this.db.all<{ host_id: number | null; validate_state: string }>(
      `UPDATE result SET validate_state = CASE WHEN id IN (${this.idList}) THEN 'valid' ELSE 'invalid' END,
         granted_credit = CASE WHEN id IN (${this.idList}) THEN CAST(? AS DOUBLE PRECISION) ELSE 0 END
       WHERE id IN (${this.idList}) AND validate_state = 'init' RETURNING host_id, validate_state`,
      [v, v, credit, JSON.stringify([...valid, ...invalid])],
    );
    return rows.filter((r) => r.validate_state === 'valid' && r.host_id !== null).map((r) => Number(r.host_id));
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
  /** New workunits (one statement for any number: their name, lo, hi as one JSON parameter); returns their ids. */
  async insertWorkunits(units: Array<{ name: string; lo: number; hi: number }>, w: Omit<NewWorkunit, 'name' | 'lo' | 'hi'>): Promise<number[]> {
    const rows = this.dialect === 'postgres' ? 'jsonb_array_elements(CAST(? AS jsonb)) AS j(value)' : 'json_each(?) AS j';
    const out = await this.db.all<{ id: number }>(
      `INSERT INTO workunit(name, lo, hi, min_quorum, target_nresults, max_error_results, max_total_results, delay_bound_s, created_ms)
       SELECT j.value ->> 0, CAST(j.value ->> 1 AS BIGINT), CAST(j.value ->> 2 AS BIGINT), ?, ?, ?, ?, ?, ? FROM ${rows} RETURNING id`,
      [w.minQuorum, w.targetNResults, w.maxErrorResults, w.maxTotalResults, w.delayBoundS, w.createdMs, JSON.stringify(units.map((u) => [u.name, u.lo, u.hi]))],
    );
    return out.map((r) => Number(r.id));
  }
  /**
   * Make `resultId` the canonical result and mark the workunit assimilated (the assimilator's `insertCanonical`
   * runs in the same transaction); false when the workunit has a canonical result already (nothing changed).
   */
  async setCanonical(wuId: number, resultId: number): Promise<boolean> {
    return (await this.db.run('UPDATE workunit SET canonical_result_id = ?, assimilated = 1 WHERE id = ? AND canonical_result_id IS NULL', [resultId, wuId])).changes === 1;
  }
  async setErrorMask(wuId: number, mask: string): Promise<void> {
    await this.db.run('UPDATE workunit SET error_mask = ? WHERE id = ?', [mask, wuId]);
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

  // attach rate limits shared by replicas (PostgreSQL; with SQLite the one process keeps them in memory)
  /**
   * Take a token from the shared bucket `key` (up to `burst` tokens, one more every `refillS` s), atomically in
   * one statement: the row is created full, refilled by the time since its last use, and spent if it holds a
   * whole token. Concurrent takes on any replica queue on the row, so all replicas together enforce one limit.
   * Returns whether a token was taken and what is left.
   */
  async takeSharedToken(key: string, burst: number, refillS: number, nowMs: number): Promise<{ taken: boolean; tokens: number }> {
    // the cast: PostgreSQL would divide the integer milliseconds by an integer parameter as integers
    const refilled = 'LEAST(?, attach_bucket.tokens + GREATEST(0, excluded.at_ms - attach_bucket.at_ms) / CAST(? AS DOUBLE PRECISION))';
    const p = [burst, refillS * 1000];
    const row = await this.db.get<{ tokens: number; taken: number }>(
      `INSERT INTO attach_bucket(key, tokens, at_ms, taken) VALUES (?, ?, ?, 1)
       ON CONFLICT(key) DO UPDATE SET
         tokens = ${refilled} - CASE WHEN ${refilled} >= 1 THEN 1 ELSE 0 END,
         taken = CASE WHEN ${refilled} >= 1 THEN 1 ELSE 0 END,
         at_ms = GREATEST(attach_bucket.at_ms, excluded.at_ms)
       RETURNING tokens, taken`,
      [key, burst - 1, nowMs, ...p, ...p, ...p],
    );
    return { taken: row?.taken === 1, tokens: Number(row?.tokens ?? 0) };
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
