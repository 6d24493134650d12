import { KNOWN_PI } from '@livelab/work-protocol';
import type { WorkContext } from './project-options';

/**
 * The work generator: create workunits (each with `targetNResults` instances) until `cushion` instances are
 * unsent or the range is used up. Units are `unitSpan` wide and also cut at each x of KNOWN_PI, so π(x) can be checked.
 *
 * Race-safe on any number of replicas: the count that decides how much to make is taken after locking `next_lo`
 * (PostgreSQL: `FOR UPDATE`; in READ COMMITTED each statement sees what the previous generator committed), so two
 * generators run one after the other and the second makes only what is still missing — the cushion is never
 * overshot. The lease holder's daemon pass keeps the cushion; a scheduler RPC generates only when it finds
 * nothing to send. Any amount of work is 5 statements (lock, count, workunits, instances, next_lo).
 */
export async function generateWork(ctx: WorkContext): Promise<void> {
  const { q, opts: o } = ctx;
  // cheap check first; the lock on next_lo is taken only when there is work to create
  if ((await q.countUnsent()) >= o.cushion) return;
  let nextLo = Number(await q.lockMeta('next_lo'));
  let unsent = await q.countUnsent();
  const start = nextLo;
  const units: Array<{ name: string; lo: number; hi: number }> = [];
  while (unsent < o.cushion && nextLo < o.rangeHi) {
    let hi = Math.min(nextLo + o.unitSpan, o.rangeHi);
    for (const k of KNOWN_PI) if (k.x > nextLo && k.x < hi) hi = Math.min(hi, k.x);
    units.push({ name: `sieve_${nextLo}_${hi}`, lo: nextLo, hi });
    unsent += o.targetNResults;
    nextLo = hi;
  }
  if (!units.length) return;
  const ids = await q.insertWorkunits(units, {
    minQuorum: o.minQuorum,
    targetNResults: o.targetNResults,
    maxErrorResults: o.maxErrorResults,
    maxTotalResults: o.maxTotalResults,
    delayBoundS: o.delayBoundS,
    createdMs: ctx.now,
  });
  await q.createInstances(ids, o.targetNResults);
  if (nextLo !== start) await q.setMeta('next_lo', String(nextLo));
}
