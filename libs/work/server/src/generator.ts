import { KNOWN_PI } from '@livelab/work-protocol';
import type { WorkContext } from './project-options';

/** Instance `n` of workunit `wuId` (named `<workunit>_<n>`). */
export async function createInstance({ q }: WorkContext, wuId: number): Promise<void> {
  const n = await q.countResultsOfWorkunit(wuId);
  const name = await q.workunitName(wuId);
  await q.insertResult(`${name}_${n}`, wuId);
}

/**
 * The work generator: create workunits (each with `targetNResults` instances) until `cushion` instances are
 * unsent or the range is used up. Units are `unitSpan` wide and also cut at each x of KNOWN_PI, so π(x) can be checked.
 */
export async function generateWork(ctx: WorkContext): Promise<void> {
  const { q, opts: o } = ctx;
  // cheap check first; the lock on next_lo is taken only when there is work to create
  if ((await q.countUnsent()) >= o.cushion) return;
  let nextLo = Number(await q.lockMeta('next_lo'));
  let unsent = await q.countUnsent();
  const start = nextLo;
  while (unsent < o.cushion && nextLo < o.rangeHi) {
    let hi = Math.min(nextLo + o.unitSpan, o.rangeHi);
    for (const k of KNOWN_PI) if (k.x > nextLo && k.x < hi) hi = Math.min(hi, k.x);
    const wuId = await q.insertWorkunit({
      name: `sieve_${nextLo}_${hi}`,
      lo: nextLo,
      hi,
      minQuorum: o.minQuorum,
      targetNResults: o.targetNResults,
      maxErrorResults: o.maxErrorResults,
      maxTotalResults: o.maxTotalResults,
      delayBoundS: o.delayBoundS,
      createdMs: ctx.now,
    });
    for (let i = 0; i < o.targetNResults; i++) await createInstance(ctx, wuId);
    unsent += o.targetNResults;
    nextLo = hi;
  }
  if (nextLo !== start) await q.setMeta('next_lo', String(nextLo));
}
