import type { SieveOutput } from '@livelab/work-protocol';
import type { WorkContext } from './project-options';
import type { WorkunitRow } from './statements';

/** The assimilator: copy a validated workunit's canonical output to the `canonical` table (once). */
export async function assimilate(ctx: WorkContext, wu: WorkunitRow): Promise<void> {
  if (wu.canonical_result_id === null || wu.assimilated) return;
  const output = await ctx.q.resultOutput(wu.canonical_result_id);
  const out = JSON.parse(output ?? 'null') as SieveOutput;
  await ctx.q.insertCanonical({ workunitId: wu.id, lo: wu.lo, hi: wu.hi, count: out.count, sum: out.sum, sha256: out.sha256, resultId: wu.canonical_result_id, assimilatedMs: ctx.now });
  await ctx.q.markAssimilated(wu.id);
  wu.assimilated = 1;
  ctx.events.onAssimilated?.();
}
