/** What the validator needs of one instance of a workunit. */
export interface ValidatorResult {
  id: number;
  outcome: 'success' | 'client_error' | 'no_reply' | 'didnt_need' | null;
  validate_state: 'init' | 'valid' | 'invalid';
  host_id: number | null;
  user_id: number | null;
  /** the output as JSON text: equal text = equal output */
  output: string | null;
}

export interface ValidatorOptions {
  minQuorum: number;
  /** who one vote is: a host (one account), or an account when there are several (one_result_per_user_per_wu) */
  votesBy: 'hosts' | 'accounts';
  /** the workunit's canonical result, when it has one already: later successes are compared with it */
  canonicalResultId: number | null;
}

export interface Verdict {
  /** the canonical result: the one already chosen, a newly chosen one, or null (no quorum or no majority yet) */
  canonicalResultId: number | null;
  /** true when this call chose the canonical result */
  chosenNow: boolean;
  /** results to mark valid (credit granted) and invalid */
  valid: number[];
  invalid: number[];
}

/** How many distinct voters the results are. */
export function countVotes(results: readonly ValidatorResult[], votesBy: ValidatorOptions['votesBy']): number {
  return new Set(results.map((r) => (votesBy === 'accounts' ? `u${r.user_id ?? `h${r.host_id}`}` : `h${r.host_id}`))).size;
}

/**
 * The validator, a pure function of a workunit's results.
 * - With a canonical result: each success not yet judged is valid when its output equals the canonical one's.
 * - Without: once the successes (not already invalid) are at least `minQuorum` voters, the group of identical
 *   outputs with the most voters becomes canonical if it has at least `minQuorum` voters and a strict majority of
 *   all voters (ties go to the group whose first result came first, but a tie is never a majority). Its results
 *   are valid, the other successes invalid; no majority → no verdict (the transitioner issues another instance).
 */
export function validate(results: readonly ValidatorResult[], o: ValidatorOptions): Verdict {
  if (o.canonicalResultId !== null) {
    const canonical = results.find((r) => r.id === o.canonicalResultId);
    const valid: number[] = [];
    const invalid: number[] = [];
    for (const r of results) {
      if (r.outcome !== 'success' || r.validate_state !== 'init') continue;
      (canonical && r.output === canonical.output ? valid : invalid).push(r.id);
    }
    return { canonicalResultId: o.canonicalResultId, chosenNow: false, valid, invalid };
  }
  const none: Verdict = { canonicalResultId: null, chosenNow: false, valid: [], invalid: [] };
  const successes = results.filter((r) => r.outcome === 'success' && r.validate_state !== 'invalid');
  const total = countVotes(successes, o.votesBy);
  if (total < o.minQuorum) return none;
  const groups = new Map<string, ValidatorResult[]>();
  for (const r of successes) groups.set(r.output ?? '', [...(groups.get(r.output ?? '') ?? []), r]);
  const best = [...groups.values()].sort((a, b) => countVotes(b, o.votesBy) - countVotes(a, o.votesBy))[0];
  const bestVotes = countVotes(best, o.votesBy);
  if (bestVotes < o.minQuorum || bestVotes * 2 <= total) return none;
  return {
    canonicalResultId: best[0].id,
    chosenNow: true,
    valid: best.map((r) => r.id),
    invalid: successes.filter((r) => !best.includes(r)).map((r) => r.id),
  };
}
