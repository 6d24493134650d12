import { assimilate } from './assimilator';
import type { WorkContext } from './project-options';
import { countVotes, validate, type ValidatorOptions } from './validator';

/**
 * The transitioner for one workunit: run the validator and apply its verdict (credit, canonical result), give
 * the workunit up after too many errors or instances, create replacement instances until `target_nresults` are
 * alive or successful (one more than the successes after an inconclusive quorum), then assimilate. Returns the
 * credit granted, per host.
 *
 * Race-safe inline on any replica (it runs in the scheduler RPC that carried the report, so validation latency
 * is zero): the workunit row is locked first (PostgreSQL `FOR UPDATE`), and only then are its results read, in a
 * statement of its own — in READ COMMITTED that statement sees every report committed before the lock was
 * granted (a join under the same `FOR UPDATE` would read them from the older snapshot). So transitions of one
 * workunit run one after another and each sees the previous one's outcome; on top, `setCanonical` and `judge`
 * change only rows not yet decided, and `canonical` is keyed by workunit: never two canonical results, never
 * credit twice for one result.
 */
export async function transition(ctx: WorkContext, wuId: number, votesBy: ValidatorOptions['votesBy']): Promise<Map<number, number>> {
  const { q, events } = ctx;
  const credited = new Map<number, number>();
  const wu = await q.lockWorkunit(wuId);
  if (!wu) return credited;
  const results = await q.resultsOfWorkunit(wuId);
  const credit = (wu.hi - wu.lo) / ctx.opts.creditDivisor;

  if (wu.canonical_result_id !== null || !wu.error_mask) {
    const verdict = validate(results, { minQuorum: wu.min_quorum, votesBy, canonicalResultId: wu.canonical_result_id });
    const hosts = await q.judge(verdict.valid, verdict.invalid, credit);
    await q.addHostCredits(hosts, credit);
    for (const h of hosts) credited.set(h, (credited.get(h) ?? 0) + credit);
    for (const r of results) {
      if (verdict.valid.includes(r.id)) r.validate_state = 'valid';
      else if (verdict.invalid.includes(r.id)) r.validate_state = 'invalid';
    }
    if (verdict.chosenNow && verdict.canonicalResultId !== null) {
      events.onValidated?.('valid', verdict.valid.length);
      if (verdict.invalid.length) events.onValidated?.('invalid', verdict.invalid.length);
      const id = verdict.canonicalResultId;
      if (await q.setCanonical(wuId, id)) {
        wu.canonical_result_id = id;
        await q.retireUnsent(wuId);
        await assimilate(ctx, wu, id, results.find((r) => r.id === id)?.output ?? null);
      }
    } else if (verdict.invalid.length) {
      // late successes that differ from the canonical output
      for (let i = 0; i < verdict.invalid.length; i++) events.onValidated?.('invalid', 1);
    }
  }

  if (wu.canonical_result_id === null && !wu.error_mask) {
    // `results` is current: read under the lock, with this verdict applied
    const errors = results.filter((r) => r.outcome === 'client_error').length;
    const successes = countVotes(results.filter((r) => r.outcome === 'success' && r.validate_state !== 'invalid'), votesBy);
    const alive = results.filter((r) => r.server_state !== 'over').length;
    let mask: string | null = null;
    if (errors > wu.max_error_results) mask = 'too_many_error_results';
    // inconclusive quorum → ask for one more than the successes we hold
    const wanted = Math.max(wu.target_nresults, successes >= wu.min_quorum ? successes + 1 : 0);
    let need = wanted - successes - alive;
    if (!mask && need > 0 && results.length + need > wu.max_total_results) {
      need = wu.max_total_results - results.length;
      if (need <= 0 && alive === 0) mask = 'too_many_total_results';
    }
    if (mask) {
      await q.setErrorMask(wuId, mask);
      await q.retireUnsent(wuId);
    } else await q.createInstances([wuId], need);
  }
  return credited;
}

/** The deadline pass: in-progress instances past their deadline become no-reply; their workunits are transitioned. */
export async function expireDeadlines(ctx: WorkContext, votesBy: ValidatorOptions['votesBy']): Promise<number> {
  const late = await ctx.q.pastDeadline(ctx.now);
  const wus = new Set<number>();
  for (const r of late) {
    await ctx.q.markNoReply(r.id);
    wus.add(r.workunit_id);
  }
  // in id order, as the scheduler does: two transactions lock workunits in the same order (no deadlock)
  for (const wu of [...wus].sort((a, b) => a - b)) await transition(ctx, wu, votesBy);
  return late.length;
}
