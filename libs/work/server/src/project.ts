import { KNOWN_PI, type AttachReply, type AttachRequest, type SchedulerReply, type SchedulerRequest } from '@livelab/work-protocol';
import { Accounts, authenticateAccount, ensureBootstrapAccount, listAccounts } from './accounts';
import { ProtocolError } from './errors';
import { generateWork } from './generator';
import { DEFAULT_PROJECT_OPTIONS, type ProjectEvents, type ProjectOptions, type WorkContext } from './project-options';
import { attachHost, scheduleHost } from './scheduler';
import { WorkStatements } from './statements';
import type { SqlDatabase } from './storage/sql-database';
import { attachLimiter } from './token-bucket';
import { expireDeadlines, transition } from './transitioner';
import type { ValidatorOptions } from './validator';

const votesByOf = (accounts: number): ValidatorOptions['votesBy'] => (accounts > 1 ? 'accounts' : 'hosts');

/**
 * The project: the scheduler (attach, scheduler RPC) and the daemons BOINC runs as separate processes (work
 * generator, transitioner with the validator, assimilator), composed over one database. Every public method is
 * one transaction, so a scheduler RPC is all or nothing and a restart never loses an acknowledged report. The
 * daemons run inside the scheduler transaction for the workunits it touched, and by `runBackend()` on a timer.
 */
export class WorkProject {
  readonly opts: ProjectOptions;
  readonly accounts: Accounts;
  private readonly now: () => number;
  private readonly attachLimiter: ReturnType<typeof attachLimiter>;

  private constructor(
    readonly db: SqlDatabase,
    opts: Partial<ProjectOptions> & { accountKey: string },
    private readonly events: ProjectEvents,
  ) {
    this.opts = { ...DEFAULT_PROJECT_OPTIONS, ...opts };
    this.now = opts.now ?? Date.now;
    this.accounts = new Accounts(db);
    const o = this.opts;
    this.attachLimiter = attachLimiter(db.dialect, o.attachBurst, o.attachRefillS, this.now);
    if (!(o.minQuorum >= 1 && o.targetNResults >= o.minQuorum && o.maxTotalResults >= o.targetNResults)) {
      throw new RangeError('need 1 <= minQuorum <= targetNResults <= maxTotalResults');
    }
    if (!(o.rangeLo >= 0 && o.rangeHi > o.rangeLo && o.rangeHi <= 2 ** 40 && o.unitSpan >= 1)) {
      throw new RangeError('need 0 <= rangeLo < rangeHi <= 2^40 and unitSpan >= 1');
    }
  }

  /** The project on `db`: checks that the database belongs to this range, and makes account 1 hold `accountKey`. */
  static async open(db: SqlDatabase, opts: Partial<ProjectOptions> & { accountKey: string }, events: ProjectEvents = {}): Promise<WorkProject> {
    const p = new WorkProject(db, opts, events);
    const o = p.opts;
    await p.inTransaction(async ({ q, now }) => {
      const stored = await q.getMeta('range');
      const range = `${o.rangeLo}-${o.rangeHi}`;
      if (stored && stored !== range) throw new Error(`database was created for range ${stored}, not ${range}: use a new database`);
      if (!stored) {
        await q.setMeta('range', range);
        await q.setMeta('next_lo', String(o.rangeLo));
      }
      await ensureBootstrapAccount(q, o.accountKey, 'default', now);
    });
    return p;
  }

  private inTransaction<T>(fn: (ctx: WorkContext) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn({ q: new WorkStatements(tx, this.db.dialect), opts: this.opts, events: this.events, now: this.now() }));
  }

  /**
   * BOINC's one_result_per_user_per_wu: with more than one account, the quorum counts accounts (not hosts) and no
   * account gets two instances of one workunit, so one key holder attaching many hosts is still one vote.
   */
  private async votesBy(q: WorkStatements): Promise<ValidatorOptions['votesBy']> {
    return votesByOf(await q.countAccounts());
  }

  attach(req: AttachRequest): Promise<AttachReply> {
    return this.inTransaction(async (ctx) => {
      const { id: userId } = await authenticateAccount(ctx.q, req.authenticator);
      const wait = await this.attachLimiter(ctx.q, String(userId));
      if (wait) {
        const o = this.opts;
        throw new ProtocolError('rate_limited', `too many attaches for account ${userId} (${o.attachBurst} at once, then 1 per ${o.attachRefillS} s): retry in ${wait} s`, wait);
      }
      return attachHost(ctx, userId, req);
    });
  }

  /** The scheduler RPC: reports first, then lost-task resends, then new work. One transaction. */
  schedule(req: SchedulerRequest): Promise<SchedulerReply> {
    return this.inTransaction(async (ctx) => {
      const { id: userId, accounts } = await authenticateAccount(ctx.q, req.authenticator);
      return scheduleHost(ctx, userId, req, votesByOf(accounts));
    });
  }

  /** Work generator: create workunits until `cushion` results are unsent or the range is used up. */
  generate(): Promise<void> {
    return this.inTransaction(generateWork);
  }

  /** Transitioner + validator + assimilator for one workunit. */
  transition(wuId: number): Promise<void> {
    return this.inTransaction(async (ctx) => {
      await transition(ctx, wuId, await this.votesBy(ctx.q));
    });
  }

  /** Periodic pass: instances past their deadline become no-reply and get replacements; keep the cushion. */
  runBackend(): Promise<{ timedOut: number }> {
    return this.inTransaction(async (ctx) => {
      const timedOut = await expireDeadlines(ctx, await this.votesBy(ctx.q));
      await generateWork(ctx);
      return { timedOut };
    });
  }

  summary() {
    return this.inTransaction(async ({ q }) => {
      const o = this.opts;
      const canon = await q.canonicalRanges();
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
      const accounts = await listAccounts(q);
      return {
        project: o.projectName,
        range: { lo: o.rangeLo, hi: o.rangeHi },
        unit_span: o.unitSpan,
        workunits: await q.workunitCounts(),
        results: await q.resultCountsByState(),
        hosts: await q.countHosts(),
        /** what one quorum vote is: an account (several accounts) or a host (one account) */
        quorum_counts: accounts.length > 1 ? ('accounts' as const) : ('hosts' as const),
        accounts: accounts.map((a) => ({ id: a.id, name: a.name, disabled: a.disabled, hosts: a.hosts, credit: a.credit })),
        ranges_done: ranges,
        numbers_done: ranges.reduce((a, r) => a + (r.hi - r.lo), 0),
        primes_counted: primes,
        complete: ranges.length === 1 && ranges[0].lo === o.rangeLo && ranges[0].hi === o.rangeHi,
        checks,
      };
    });
  }
}

export type ProjectSummary = Awaited<ReturnType<WorkProject['summary']>>;
