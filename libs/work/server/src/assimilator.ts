import type { SieveOutput } from '@livelab/work-protocol';
import type { WorkContext } from './project-options';
import type { WorkunitRow } from './statements';

/**
 * The assimilator: copy a workunit's canonical output (`output`, the canonical result's JSON text) to the
 * `canonical` table, in the transaction that chose it (`setCanonical` marks the workunit assimilated). The
 * table's primary key is the workunit: a second copy could never commit.
 */
export async function assimilate(ctx: WorkContext, wu: WorkunitRow, canonicalResultId: number, output: string | null): Promise<void> {
  const out = JSON.parse(output ?? 'null') as SieveOutput;
  await ctx.q.insertCanonical({ workunitId: wu.id, lo: wu.lo, hi: wu.hi, count: out.count, sum: out.sum, sha256: out.sha256, resultId: canonicalResultId, assimilatedMs: ctx.now });
  ctx.events.onAssimilated?.();
}
