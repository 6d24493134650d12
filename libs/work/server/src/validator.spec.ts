import { validate, type ValidatorResult } from './validator';

const A = '{"count":1}';
const B = '{"count":2}';
const C = '{"count":3}';
let nextId = 1;
const ok = (output: string, host: number, account = host): ValidatorResult => ({ id: nextId++, outcome: 'success', validate_state: 'init', host_id: host, user_id: account, output });
const other = (outcome: ValidatorResult['outcome'], host: number): ValidatorResult => ({ id: nextId++, outcome, validate_state: outcome === 'client_error' ? 'invalid' : 'init', host_id: host, user_id: host, output: null });
const byHosts = { minQuorum: 2, votesBy: 'hosts' as const, canonicalResultId: null };

describe('validator', () => {
  it('waits for min_quorum voters', () => {
    expect(validate([ok(A, 1), other('no_reply', 2), other('client_error', 3), other(null, 4)], byHosts)).toEqual({ canonicalResultId: null, chosenNow: false, valid: [], invalid: [] });
  });

  it('agreeing quorum: canonical is the first of the group, all of it valid', () => {
    const rs = [ok(A, 1), ok(A, 2)];
    expect(validate(rs, byHosts)).toEqual({ canonicalResultId: rs[0].id, chosenNow: true, valid: [rs[0].id, rs[1].id], invalid: [] });
  });

  it('no majority (1 vs 1) → no verdict; a third agreeing result decides, the odd one out is invalid', () => {
    const [a, b] = [ok(A, 1), ok(B, 2)];
    expect(validate([a, b], byHosts).canonicalResultId).toBeNull();
    const c = ok(B, 3);
    expect(validate([a, b, c], byHosts)).toEqual({ canonicalResultId: b.id, chosenNow: true, valid: [b.id, c.id], invalid: [a.id] });
  });

  it('a tie is never a majority: 2 vs 2, and 1 vs 1 vs 1', () => {
    expect(validate([ok(A, 1), ok(B, 2), ok(A, 3), ok(B, 4)], byHosts).canonicalResultId).toBeNull();
    expect(validate([ok(A, 1), ok(B, 2), ok(C, 3)], { ...byHosts, minQuorum: 1 }).canonicalResultId).toBeNull();
  });

  it('a group needs min_quorum voters even with a majority', () => {
    expect(validate([ok(A, 1), ok(A, 2), ok(B, 3)], { ...byHosts, minQuorum: 3 }).canonicalResultId).toBeNull();
    const rs = [ok(A, 1), ok(A, 2), ok(A, 3), ok(B, 4)];
    expect(validate(rs, { ...byHosts, minQuorum: 3 })).toMatchObject({ canonicalResultId: rs[0].id, invalid: [rs[3].id] });
  });

  it('with several accounts one account is one vote however many hosts agree for it', () => {
    const sybil = [ok(A, 1, 9), ok(A, 2, 9)];
    expect(validate(sybil, { ...byHosts, votesBy: 'accounts' }).canonicalResultId).toBeNull();
    expect(validate(sybil, byHosts).canonicalResultId).toBe(sybil[0].id);
    // 2 results of account 9 against 1 of account 7: 1 vote vs 1 vote, no majority
    expect(validate([...sybil, ok(B, 3, 7)], { ...byHosts, votesBy: 'accounts' }).canonicalResultId).toBeNull();
  });

  it('results already invalid do not vote', () => {
    const bad = { ...ok(B, 1), validate_state: 'invalid' as const };
    const rs = [bad, ok(A, 2), ok(A, 3)];
    expect(validate(rs, byHosts)).toEqual({ canonicalResultId: rs[1].id, chosenNow: true, valid: [rs[1].id, rs[2].id], invalid: [] });
  });

  it('late results are compared with the canonical one; results judged before are left alone', () => {
    const canonical = { ...ok(A, 1), validate_state: 'valid' as const };
    const judged = { ...ok(B, 2), validate_state: 'invalid' as const };
    const [lateGood, lateBad] = [ok(A, 3), ok(C, 4)];
    const verdict = validate([canonical, judged, lateGood, lateBad, other('no_reply', 5)], { ...byHosts, canonicalResultId: canonical.id });
    expect(verdict).toEqual({ canonicalResultId: canonical.id, chosenNow: false, valid: [lateGood.id], invalid: [lateBad.id] });
  });
});
