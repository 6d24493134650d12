import {
  KNOWN_PI,
  SIEVE_APP,
  newSecret,
  secretMatchesHash,
  sha256Hex,
  type AttachReply,
  type AttachRequest,
  type SchedulerReply,
  type SchedulerRequest,
  type SieveOutput,
  type Task,
} from '@livelab/work-protocol';
import { Accounts } from './accounts';
import type { Db } from './database';
import { ProtocolError, unknownHost } from './errors';
import { TokenBuckets } from './token-bucket';

export interface ProjectOptions {
  projectName: string;
  /** account 1's key (WORK_ACCOUNT_KEY); more accounts: `Accounts.create` (`work-server account create`) */
  accountKey: string;
  /** attaches per account: a token bucket of this many … */
  attachBurst: number;
  /** … refilled with one every this many seconds */
  attachRefillS: number;
  /** the range to sieve, [rangeLo, rangeHi) */
  rangeLo: number;
  rangeHi: number;
  /** numbers per workunit; units are also split at each x of KNOWN_PI (10^6 … 10^10) so π(x) can be checked */
  unitSpan: number;
  minQuorum: number;
  targetNResults: number;
  maxErrorResults: number;
  maxTotalResults: number;
  /** seconds a host has to report a task */
  delayBoundS: number;
  /** unsent results the generator keeps ready */
  cushion: number;
  /** seconds between a host's scheduler requests */
  requestDelayS: number;
  maxTasksPerRpc: number;
  /** speed assumed for a host that reports none (numbers per second) */
  defaultNumbersPerSecond: number;
  /** credit per valid result = span / creditDivisor */
  creditDivisor: number;
  now?: () => number;
}

export const DEFAULT_PROJECT_OPTIONS: Omit<ProjectOptions, 'accountKey'> = {
  projectName: 'livelab primes',
  attachBurst: 10,
  attachRefillS: 60,
  rangeLo: 0,
  rangeHi: 1e11,
  unitSpan: 1e9,
  minQuorum: 2,
  targetNResults: 2,
  maxErrorResults: 3,
  maxTotalResults: 8,
  delayBoundS: 3600,
  cushion: 8,
  requestDelayS: 5,
  maxTasksPerRpc: 16,
  defaultNumbersPerSecond: 1e8,
  creditDivisor: 1e6,
};

interface ResultRow {
  id: number;
  name: string;
  workunit_id: number;
  server_state: 'unsent' | 'in_progress' | 'over';
  outcome: 'success' | 'client_error' | 'no_reply' | 'didnt_need' | null;
  validate_state: 'init' | 'valid' | 'invalid';
  host_id: number | null;
  user_id: number | null;
  deadline_ms: number | null;
  output: string | null;
}
interface WorkunitRow {
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

export interface ProjectEvents {
  /** ignored: unknown task; refused: the instance was not sent to the reporting host */
  onReport?(outcome: string, disposition: 'accepted' | 'duplicate' | 'ignored' | 'refused'): void;
  onValidated?(state: 'valid' | 'invalid', n: number): void;
  onAssimilated?(): void;
}

/**
 * The project back end. Every public method runs in one SQLite transaction, so a scheduler RPC is all or
 * nothing and a restart never loses an acknowledged report. The daemons BOINC runs as separate processes
 * (work generator, transitioner, validator, assimilator) are methods here, run inside the scheduler
 * transaction for the workunits it touched and by `runBackend()` on a timer for deadlines.
 */
export class WorkProject {
  readonly opts: ProjectOptions;
  readonly accounts: Accounts;
  private readonly now: () => number;
  private readonly attachLimiter: TokenBuckets;

  constructor(
    private readonly db: Db,
    opts: Partial<ProjectOptions> & { accountKey: string },
    private readonly events: ProjectEvents = {},
  ) {
    this.opts = { ...DEFAULT_PROJECT_OPTIONS, ...opts };
    this.now = opts.now ?? Date.now;
    this.accounts = new Accounts(db);
    const o = this.opts;
    this.attachLimiter = new TokenBuckets(o.attachBurst, o.attachRefillS, this.now);
    if (!(o.minQuorum >= 1 && o.targetNResults >= o.minQuorum && o.maxTotalResults >= o.targetNResults)) {
      throw new RangeError('need 1 <= minQuorum <= targetNResults <= maxTotalResults');
    }
    if (!(o.rangeLo >= 0 && o.rangeHi > o.rangeLo && o.rangeHi <= 2 ** 40 && o.unitSpan >= 1)) {
      throw new RangeError('need 0 <= rangeLo < rangeHi <= 2^40 and unitSpan >= 1');
    }
    this.db.transaction(() => {
      const stored = this.getMeta('range');
      const range = `${o.rangeLo}-${o.rangeHi}`;
      if (stored && stored !== range) {
        throw new Error(`database was created for range ${stored}, not ${range}: use a new WORK_DB_PATH`);
      }
      if (!stored) {
        this.setMeta('range', range);
        this.setMeta('next_lo', String(o.rangeLo));
      }
      this.accounts.ensureBootstrap(o.accountKey, 'default', this.now());
    })();
  }

  private getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }
  private setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /**
   * BOINC's one_result_per_user_per_wu: with more than one account, the quorum counts accounts (not hosts) and no
   * account gets two instances of one workunit, so one key holder attaching many hosts is still one vote.
   */
  multiAccount(): boolean {
    return this.accounts.count() > 1;
  }

  /** The host `hostId` of account `userId` if `hostAuthenticator` is its authenticator (constant-time compare). */
  private findHost(userId: number, hostId: number, hostAuthenticator: string) {
    const h = this.db.prepare('SELECT id, numbers_per_second, authenticator_hash FROM host WHERE id = ? AND user_id = ?').get(hostId, userId) as
      | { id: number; numbers_per_second: number; authenticator_hash: string | null }
      | undefined;
    // hosts from before host authenticators have none (NULL): they cannot be claimed by anyone
    const ok = secretMatchesHash(hostAuthenticator, h?.authenticator_hash);
    return ok ? h : undefined;
  }

  attach(req: AttachRequest): AttachReply {
    const userId = this.accounts.authenticate(req.authenticator);
    const wait = this.attachLimiter.take(String(userId));
    if (wait) {
      const o = this.opts;
      throw new ProtocolError(429, 'rate_limited', `too many attaches for account ${userId} (${o.attachBurst} at once, then 1 per ${o.attachRefillS} s): retry in ${wait} s`, wait);
    }
    return this.db.transaction((): AttachReply => {
      const now = this.now();
      const reply = (id: number, authenticator: string) => ({ host_id: id, host_authenticator: authenticator, user_id: userId, project_name: this.opts.projectName });
      if (req.host_id !== undefined && req.host_authenticator !== undefined) {
        const h = this.findHost(userId, req.host_id, req.host_authenticator);
        if (h) {
          this.updateHost(h.id, req.host, now);
          return reply(h.id, req.host_authenticator);
        }
      }
      // a new host with a new secret; only its hash is stored
      const authenticator = newSecret();
      const info = this.db
        .prepare('INSERT INTO host(user_id, name, cores, memory_mb, numbers_per_second, created_ms, authenticator_hash) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(userId, req.host.name, req.host.cores, req.host.memory_mb, req.host.numbers_per_second, now, sha256Hex(authenticator));
      return reply(Number(info.lastInsertRowid), authenticator);
    })();
  }

  private updateHost(id: number, host: SchedulerRequest['host'], now: number) {
    this.db
      .prepare('UPDATE host SET name = ?, cores = ?, memory_mb = ?, numbers_per_second = CASE WHEN ? > 0 THEN ? ELSE numbers_per_second END, last_rpc_ms = ? WHERE id = ?')
      .run(host.name, host.cores, host.memory_mb, host.numbers_per_second, host.numbers_per_second, now, id);
  }

  /** The scheduler RPC: reports first, then lost-task resends, then new work. One transaction. */
  schedule(req: SchedulerRequest): SchedulerReply {
    const userId = this.accounts.authenticate(req.authenticator);
    return this.db.transaction((): SchedulerReply => {
      const now = this.now();
      const host = this.findHost(userId, req.host_id, req.host_authenticator);
      if (!host) throw unknownHost(req.host_id);
      this.updateHost(host.id, req.host, now);
      const multi = this.multiAccount();
      const messages: SchedulerReply['messages'] = [];
      const refused: string[] = [];

      // 1. reports (idempotent: every id is acked, whatever happened to it)
      const acks: string[] = [];
      const touched = new Set<number>();
      for (const r of req.results) {
        acks.push(r.task_id);
        const row = this.db.prepare('SELECT * FROM result WHERE name = ?').get(r.task_id) as ResultRow | undefined;
        if (!row) {
          this.events.onReport?.(r.outcome, 'ignored');
          continue;
        }
        if (row.host_id !== host.id) {
          // only the host the instance was sent to may report it (acked, so an honest client stops resending)
          this.events.onReport?.(r.outcome, 'refused');
          refused.push(r.task_id);
          continue;
        }
        const mayAccept = row.server_state === 'in_progress' || (row.server_state === 'over' && row.outcome === 'no_reply');
        if (!mayAccept) {
          this.events.onReport?.(r.outcome, 'duplicate');
          continue;
        }
        this.db
          .prepare("UPDATE result SET server_state = 'over', outcome = ?, received_ms = ?, elapsed_s = ?, output = ?, error = ?, validate_state = ? WHERE id = ?")
          .run(
            r.outcome,
            now,
            r.elapsed_s,
            r.outcome === 'success' ? JSON.stringify(r.output) : null,
            r.outcome === 'client_error' ? r.error : null,
            r.outcome === 'success' ? 'init' : 'invalid',
            row.id,
          );
        this.events.onReport?.(r.outcome, 'accepted');
        touched.add(row.workunit_id);
      }

      for (const id of refused.slice(0, 10)) messages.push({ level: 'warning', text: `report for ${id} refused: not sent to this host` });
      if (refused.length > 10) messages.push({ level: 'warning', text: `${refused.length - 10} more reports refused: not sent to this host` });

      // 2. tasks the server thinks this host has but the host neither reports nor lists: resend (BOINC "lost results")
      const held = new Set([...req.in_progress, ...req.results.map((r) => r.task_id)]);
      const tasks: Task[] = [];
      const mine = this.db
        .prepare(
          "SELECT r.*, w.lo, w.hi, w.name AS wu_name FROM result r JOIN workunit w ON w.id = r.workunit_id WHERE r.host_id = ? AND r.server_state = 'in_progress'",
        )
        .all(host.id) as Array<ResultRow & { lo: number; hi: number; wu_name: string }>;
      for (const r of mine) {
        if (!held.has(r.name) && (r.deadline_ms ?? 0) > now) tasks.push(this.taskOf(r, r.wu_name, r.lo, r.hi, r.deadline_ms ?? now, host.numbers_per_second));
      }
      if (tasks.length) messages.push({ level: 'notice', text: `resent ${tasks.length} lost task(s)` });

      for (const wu of touched) this.transition(wu, multi);

      // 3. new work
      let wanted = req.work_req_seconds;
      for (const t of tasks) wanted -= t.est_seconds;
      if (wanted > 0) {
        this.generate();
        const pick = this.db.prepare(
          `SELECT r.id, r.name, w.id AS wu_id, w.name AS wu_name, w.lo, w.hi, w.delay_bound_s FROM result r JOIN workunit w ON w.id = r.workunit_id
           WHERE r.server_state = 'unsent' AND NOT EXISTS (SELECT 1 FROM result r2 WHERE r2.workunit_id = r.workunit_id AND (r2.host_id = ? OR (? AND r2.user_id = ?)))
           ORDER BY r.id LIMIT 1`,
        );
        const send = this.db.prepare("UPDATE result SET server_state = 'in_progress', host_id = ?, user_id = ?, sent_ms = ?, deadline_ms = ? WHERE id = ?");
        while (wanted > 0 && tasks.length < this.opts.maxTasksPerRpc) {
          const r = pick.get(host.id, multi ? 1 : 0, userId) as { id: number; name: string; wu_id: number; wu_name: string; lo: number; hi: number; delay_bound_s: number } | undefined;
          if (!r) break;
          const deadline = now + r.delay_bound_s * 1000;
          send.run(host.id, userId, now, deadline, r.id);
          const t = this.taskOf(r, r.wu_name, r.lo, r.hi, deadline, host.numbers_per_second);
          tasks.push(t);
          wanted -= t.est_seconds;
          this.generate();
        }
        if (tasks.length === 0) messages.push({ level: 'info', text: 'no work available for this host right now' });
      }
      const credit = (this.db.prepare('SELECT total_credit FROM host WHERE id = ?').get(host.id) as { total_credit: number }).total_credit;
      return { tasks, acks, request_delay_s: this.opts.requestDelayS, messages, host_credit: credit };
    })();
  }

  private taskOf(r: { name: string }, wuName: string, lo: number, hi: number, deadline: number, speed: number): Task {
    const nps = speed > 0 ? speed : this.opts.defaultNumbersPerSecond;
    return {
      task_id: r.name,
      workunit: wuName,
      app: { name: SIEVE_APP.name, version: SIEVE_APP.version },
      input: { lo, hi },
      deadline_ms: deadline,
      est_seconds: Math.max(1, Math.round(((hi - lo) / nps) * 10) / 10),
    };
  }

  /** Work generator: create workunits until `cushion` results are unsent or the range is used up. */
  generate(): void {
    const o = this.opts;
    const countUnsent = this.db.prepare("SELECT COUNT(*) AS n FROM result WHERE server_state = 'unsent'");
    let unsent = (countUnsent.get() as { n: number }).n;
    let nextLo = Number(this.getMeta('next_lo'));
    const insertWu = this.db.prepare(
      `INSERT INTO workunit(name, lo, hi, min_quorum, target_nresults, max_error_results, max_total_results, delay_bound_s, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    while (unsent < o.cushion && nextLo < o.rangeHi) {
      let hi = Math.min(nextLo + o.unitSpan, o.rangeHi);
      for (const k of KNOWN_PI) if (k.x > nextLo && k.x < hi) hi = Math.min(hi, k.x);
      const info = insertWu.run(`sieve_${nextLo}_${hi}`, nextLo, hi, o.minQuorum, o.targetNResults, o.maxErrorResults, o.maxTotalResults, o.delayBoundS, this.now());
      const wuId = Number(info.lastInsertRowid);
      for (let i = 0; i < o.targetNResults; i++) this.createResult(wuId);
      unsent += o.targetNResults;
      nextLo = hi;
    }
    this.setMeta('next_lo', String(nextLo));
  }

  private createResult(wuId: number): void {
    const n = (this.db.prepare('SELECT COUNT(*) AS n FROM result WHERE workunit_id = ?').get(wuId) as { n: number }).n;
    const wu = this.db.prepare('SELECT name FROM workunit WHERE id = ?').get(wuId) as { name: string };
    this.db.prepare("INSERT INTO result(name, workunit_id, server_state) VALUES (?, ?, 'unsent')").run(`${wu.name}_${n}`, wuId);
  }

  /**
   * Transitioner + validator + assimilator for one workunit: validate when a quorum of successes is in, mark
   * errors, create replacement instances, and store the canonical result.
   */
  transition(wuId: number, multi = this.multiAccount()): void {
    const wu = this.db.prepare('SELECT * FROM workunit WHERE id = ?').get(wuId) as WorkunitRow;
    const results = this.db.prepare('SELECT * FROM result WHERE workunit_id = ? ORDER BY id').all(wuId) as ResultRow[];
    const setValidate = this.db.prepare('UPDATE result SET validate_state = ?, granted_credit = ? WHERE id = ?');
    const credit = (wu.hi - wu.lo) / this.opts.creditDivisor;
    // who a success is a vote of: its account when there are several (one_result_per_user_per_wu), else its host
    const votes = (rows: ResultRow[]) => new Set(rows.map((r) => (multi ? `u${r.user_id ?? `h${r.host_id}`}` : `h${r.host_id}`))).size;
    const grant = (r: ResultRow) => {
      setValidate.run('valid', credit, r.id);
      if (r.host_id) this.db.prepare('UPDATE host SET total_credit = total_credit + ? WHERE id = ?').run(credit, r.host_id);
    };

    if (wu.canonical_result_id !== null) {
      // late successes are checked against the canonical result
      const canon = results.find((r) => r.id === wu.canonical_result_id);
      for (const r of results) {
        if (r.outcome === 'success' && r.validate_state === 'init') {
          if (r.output === canon?.output) grant(r);
          else {
            setValidate.run('invalid', 0, r.id);
            this.events.onValidated?.('invalid', 1);
          }
        }
      }
    } else if (!wu.error_mask) {
      // validator: a strict majority of the votes among the successful results, at least min_quorum votes
      const successes = results.filter((r) => r.outcome === 'success' && r.validate_state !== 'invalid');
      const total = votes(successes);
      if (total >= wu.min_quorum) {
        const groups = new Map<string, ResultRow[]>();
        for (const r of successes) groups.set(r.output ?? '', [...(groups.get(r.output ?? '') ?? []), r]);
        const best = [...groups.values()].sort((a, b) => votes(b) - votes(a))[0];
        if (votes(best) >= wu.min_quorum && votes(best) * 2 > total) {
          const canonical = best[0];
          for (const r of successes) {
            if (best.includes(r)) grant(r);
            else setValidate.run('invalid', 0, r.id);
          }
          this.events.onValidated?.('valid', best.length);
          if (successes.length > best.length) this.events.onValidated?.('invalid', successes.length - best.length);
          this.db.prepare('UPDATE workunit SET canonical_result_id = ? WHERE id = ?').run(canonical.id, wuId);
          wu.canonical_result_id = canonical.id;
          this.db.prepare("UPDATE result SET server_state = 'over', outcome = 'didnt_need' WHERE workunit_id = ? AND server_state = 'unsent'").run(wuId);
        }
      }
    }

    if (wu.canonical_result_id === null && !wu.error_mask) {
      const fresh = this.db.prepare('SELECT * FROM result WHERE workunit_id = ?').all(wuId) as ResultRow[];
      const errors = fresh.filter((r) => r.outcome === 'client_error').length;
      const successes = votes(fresh.filter((r) => r.outcome === 'success' && r.validate_state !== 'invalid'));
      const alive = fresh.filter((r) => r.server_state !== 'over').length;
      let mask: string | null = null;
      if (errors > wu.max_error_results) mask = 'too_many_error_results';
      // inconclusive quorum → ask for one more than the successes we hold
      const wanted = Math.max(wu.target_nresults, successes >= wu.min_quorum ? successes + 1 : 0);
      let need = wanted - successes - alive;
      if (!mask && need > 0 && fresh.length + need > wu.max_total_results) {
        need = wu.max_total_results - fresh.length;
        if (need <= 0 && alive === 0) mask = 'too_many_total_results';
      }
      if (mask) {
        this.db.prepare('UPDATE workunit SET error_mask = ? WHERE id = ?').run(mask, wuId);
        this.db.prepare("UPDATE result SET server_state = 'over', outcome = 'didnt_need' WHERE workunit_id = ? AND server_state = 'unsent'").run(wuId);
      } else for (let i = 0; i < need; i++) this.createResult(wuId);
    }

    // assimilator
    if (wu.canonical_result_id !== null && !wu.assimilated) {
      const canon = this.db.prepare('SELECT output FROM result WHERE id = ?').get(wu.canonical_result_id) as { output: string };
      const out = JSON.parse(canon.output) as SieveOutput;
      this.db
        .prepare('INSERT INTO canonical(workunit_id, lo, hi, count, sum, sha256, result_id, assimilated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(wuId, wu.lo, wu.hi, out.count, out.sum, out.sha256, wu.canonical_result_id, this.now());
      this.db.prepare('UPDATE workunit SET assimilated = 1 WHERE id = ?').run(wuId);
      this.events.onAssimilated?.();
    }
  }

  /** Periodic pass: instances past their deadline become no-reply and get replacements; keep the cushion. */
  runBackend(): { timedOut: number } {
    return this.db.transaction(() => {
      const now = this.now();
      const late = this.db
        .prepare("SELECT id, workunit_id FROM result WHERE server_state = 'in_progress' AND deadline_ms <= ?")
        .all(now) as Array<{ id: number; workunit_id: number }>;
      const mark = this.db.prepare("UPDATE result SET server_state = 'over', outcome = 'no_reply' WHERE id = ?");
      const wus = new Set<number>();
      for (const r of late) {
        mark.run(r.id);
        wus.add(r.workunit_id);
      }
      const multi = this.multiAccount();
      for (const wu of wus) this.transition(wu, multi);
      this.generate();
      return { timedOut: late.length };
    })();
  }

  summary() {
    const o = this.opts;
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    const canon = this.db.prepare('SELECT lo, hi, count FROM canonical ORDER BY lo').all() as Array<{ lo: number; hi: number; count: number }>;
    const ranges: Array<{ lo: number; hi: number }> = [];
    let primes = 0;
    for (const c of canon) {
      primes += c.count;
      const last = ranges[ranges.length - 1];
      if (last && last.hi === c.lo) last.hi = c.hi;
      else ranges.push({ lo: c.lo, hi: c.hi });
    }
    const checks = KNOWN_PI.filter((k) => k.x > o.rangeLo && k.x <= o.rangeHi).map((k) => {
      const covered = o.rangeLo === 0 && ranges[0]?.lo === 0 && ranges[0].hi >= k.x;
      const computed = covered ? canon.filter((c) => c.hi <= k.x).reduce((a, c) => a + c.count, 0) : null;
      return { x: k.x, known: k.pi, computed, ok: computed === null ? null : computed === k.pi };
    });
    const byState = this.db
      .prepare('SELECT server_state, outcome, validate_state, COUNT(*) AS n FROM result GROUP BY 1, 2, 3')
      .all() as Array<{ server_state: string; outcome: string | null; validate_state: string; n: number }>;
    return {
      project: o.projectName,
      range: { lo: o.rangeLo, hi: o.rangeHi },
      unit_span: o.unitSpan,
      workunits: {
        total: count('SELECT COUNT(*) AS n FROM workunit'),
        done: count('SELECT COUNT(*) AS n FROM workunit WHERE assimilated = 1'),
        error: count('SELECT COUNT(*) AS n FROM workunit WHERE error_mask IS NOT NULL'),
      },
      results: byState,
      hosts: count('SELECT COUNT(*) AS n FROM host'),
      /** what one quorum vote is: an account (several accounts) or a host (one account) */
      quorum_counts: this.multiAccount() ? ('accounts' as const) : ('hosts' as const),
      accounts: this.accounts.list().map((a) => ({ id: a.id, name: a.name, disabled: a.disabled, hosts: a.hosts, credit: a.credit })),
      ranges_done: ranges,
      numbers_done: ranges.reduce((a, r) => a + (r.hi - r.lo), 0),
      primes_counted: primes,
      complete: ranges.length === 1 && ranges[0].lo === o.rangeLo && ranges[0].hi === o.rangeHi,
      checks,
    };
  }
}

export type ProjectSummary = ReturnType<WorkProject['summary']>;
