import { assimilate } from './assimilator';
import { createInstance } from './generator';
import type { WorkContext } from './project-options';
import type { ResultRow } from './statements';
import { countVotes, validate, type ValidatorOptions } from './validator';

/**
 * The transitioner for one workunit: run the validator and apply its verdict (credit, canonical result), give
 * the workunit up after too many errors or instances, create replacement instances until `target_nresults` are
 * alive or successful (one more than the successes after an inconclusive quorum), then assimilate.
 */
export async function transition(ctx: WorkContext, wuId: number, votesBy: ValidatorOptions['votesBy']): Promise<void> {
  const { q, events } = ctx;
  const wu = await q.lockWorkunit(wuId);
  if (!wu) return;
  const results = await q.resultsOfWorkunit(wuId);
  const credit = (wu.hi - wu.lo) / ctx.opts.creditDivisor;
  const hostOf = new Map(results.map((r) => [r.id, r.host_id]));
  const grant = async (id: number) => {
    await q.setValidateState(id, 'valid', credit);
    const hostId = hostOf.get(id);
    if (hostId) await q.addHostCredit(hostId, credit);
  };

  if (wu.canonical_result_id !== null || !wu.error_mask) {
    const verdict = validate(results, { minQuorum: wu.min_quorum, votesBy, canonicalResultId: wu.canonical_result_id });
    for (const id of verdict.valid) await grant(id);
    for (const id of verdict.invalid) await q.setValidateState(id, 'invalid', 0);
    if (verdict.chosenNow && verdict.canonicalResultId !== null) {
      events.onValidated?.('valid', verdict.valid.length);
      if (verdict.invalid.length) events.onValidated?.('invalid', verdict.invalid.length);
      await q.setCanonical(wuId, verdict.canonicalResultId);
      wu.canonical_result_id = verdict.canonicalResultId;
      await q.retireUnsent(wuId);
    } else if (verdict.invalid.length) {
      // late successes that differ from the canonical output
      for (let i = 0; i < verdict.invalid.length; i++) events.onValidated?.('invalid', 1);
    }
  }

  if (wu.canonical_result_id === null && !wu.error_mask) {
    const fresh: ResultRow[] = await q.resultsOfWorkunit(wuId);
    const errors = fresh.filter((r) => r.outcome === 'client_error').length;
    const successes = countVotes(fresh.filter((r) => r.outcome === 'success' && r.validate_state !== 'invalid'), votesBy);
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
      await q.setErrorMask(wuId, mask);
      await q.retireUnsent(wuId);
    } else for (let i = 0; i < need; i++) await createInstance(ctx, wuId);
  }

  await assimilate(ctx, wu);
}

/** The deadline pass: in-progress instances past their deadline become no-reply; their workunits are transitioned. */
export async function expireDeadlines(ctx: WorkContext, votesBy: ValidatorOptions['votesBy']): Promise<number> {
  const late = await ctx.q.pastDeadline(ctx.now);
  const wus = new Set<number>();
  for (const r of late) {
    await ctx.q.markNoReply(r.id);
    wus.add(r.workunit_id);
  }
  for (const wu of wus) await transition(ctx, wu, votesBy);
  return late.length;
}
