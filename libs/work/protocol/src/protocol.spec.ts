import { ERROR_CODES, ERROR_STATUS, ProtocolError, SchedulerRequestSchema, SieveOutputSchema, describeZodError, errorCodeOf, isUint64Decimal, newSecret, secretMatchesHash, sha256Hex, weakKey } from './index';

const base = {
  authenticator: 'k'.repeat(32),
  host_id: 1,
  host_authenticator: 'ab'.repeat(32),
  host: { cores: 2, memory_mb: 1024 },
  work_req_seconds: 60,
  results: [],
  in_progress: [],
};

describe('scheduler request schema', () => {
  it('accepts a minimal request and fills defaults', () => {
    const r = SchedulerRequestSchema.parse(base);
    expect(r.host.name).toBe('');
  });

  it('names the bad field', () => {
    const r = SchedulerRequestSchema.safeParse({
      ...base,
      results: [{ task_id: 't1', outcome: 'success', elapsed_s: 1, output: { count: 1, sum: '2', sha256: 'xyz' } }],
    });
    expect(r.success).toBe(false);
    if (!r.success) expect(describeZodError(r.error)).toBe('results.0.output.sha256: sha256 must be 64 lowercase hex digits');
  });

  it('refuses unknown fields and hostile ids', () => {
    expect(SchedulerRequestSchema.safeParse({ ...base, extra: 1 }).success).toBe(false);
    expect(SchedulerRequestSchema.safeParse({ ...base, in_progress: ['../etc/passwd'] }).success).toBe(false);
    expect(SchedulerRequestSchema.safeParse({ ...base, work_req_seconds: -1 }).success).toBe(false);
  });
});

describe('sieve output sum', () => {
  const out = (sum: string) => SieveOutputSchema.safeParse({ count: 0, sum, sha256: '0'.repeat(64) }).success;
  it('accepts exactly the decimal integers below 2^64', () => {
    for (const ok of ['0', '1', '18446744073709551615', '9999999999999999999', '10000000000000000000']) expect([ok, out(ok)]).toEqual([ok, true]);
    for (const bad of ['18446744073709551616', '18446744073709551620', '99999999999999999999', '100000000000000000000', '-1', '01', '1e3', ' 1', '', '1.0'])
      expect([bad, out(bad)]).toEqual([bad, false]);
  });
  it('agrees with BigInt on every length around the bound', () => {
    const limit = BigInt('18446744073709551616');
    for (let i = -3; i <= 3; i++) {
      const n = (limit + BigInt(i)).toString();
      expect([n, isUint64Decimal(n)]).toEqual([n, BigInt(n) < limit]);
    }
  });
});

describe('keys', () => {
  const account = 'a-long-account-key-0123456789';
  it('derives the weak key and matches secrets against stored digests only', () => {
    const weak = weakKey(1, account);
    expect(weak).toMatch(/^1_[0-9a-f]{64}$/);
    expect(weakKey(2, account)).not.toBe(weak);
    expect(secretMatchesHash(weak, sha256Hex(weak))).toBe(true);
    expect(secretMatchesHash(weak + 'x', sha256Hex(weak))).toBe(false);
    expect(secretMatchesHash(weak, null)).toBe(false);
    expect(secretMatchesHash(weak, 'abc')).toBe(false);
    const s = newSecret();
    expect(s).toMatch(/^[0-9a-f]{64}$/);
    expect(newSecret()).not.toBe(s);
  });

  it('error codes: a status each, unknown codes are not guessed, ProtocolError carries code and reply', () => {
    for (const code of ERROR_CODES) expect(ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
    expect(errorCodeOf({ error: 'unknown_host', reason: 'x' })).toBe('unknown_host');
    expect(errorCodeOf({ error: 'from_a_newer_server', reason: 'x' })).toBeUndefined();
    const e = new ProtocolError('rate_limited', 'slow down', 30);
    expect([e.status, e.retryAfterS, e.toReply()]).toEqual([429, 30, { error: 'rate_limited', reason: 'slow down' }]);
  });
});
