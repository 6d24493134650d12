import request from 'supertest';
import { weakKey, type Task } from '@livelab/work-protocol';
import { Accounts } from '../src';
import { ACCOUNT_KEY, BACKENDS, compute, corrupt, dump, host, makeProject, request as sched, type HostCreds, type TestProject, theRow, useBackend } from './helpers';

/**
 * Issue 11: the quorum must stop an adversary, not only broken hosts. Each scenario below was an attack that worked
 * against the server before host authenticators and accounts.
 */
describe.each(BACKENDS)('the server refuses Sybil and impersonation attacks on %s', (backend) => {
  const db = useBackend(backend);
  let p: TestProject;
  let clock = 1_000_000;
  beforeEach(async () => (p = await makeProject({ rangeHi: 1e6, unitSpan: 1e6, cushion: 2, now: () => clock }, undefined, db)));
  afterEach(() => p.cleanup());

  async function attach(key: string, extra: object = {}): Promise<HostCreds> {
    const res = await request(p.app).post('/v1/attach').send({ authenticator: key, host, ...extra });
    expect(res.status).toBe(200);
    expect(res.body.host_authenticator).toMatch(/^[0-9a-f]{64}$/);
    return { host_id: res.body.host_id, host_authenticator: res.body.host_authenticator };
  }
  const rpc = (h: HostCreds, key: string, over: Parameters<typeof sched>[1] = {}) => request(p.app).post('/v1/scheduler').send(sched(h, over, key));
  const fetchTasks = async (h: HostCreds, key: string): Promise<Task[]> => {
    const res = await rpc(h, key, { work_req_seconds: 1 });
    expect(res.status).toBe(200);
    return res.body.tasks;
  };
  const rowOf = async (taskId: string) => await theRow<{
    server_state: string; outcome: string | null; host_id: number | null; output: string | null;
  }>(p.db, 'SELECT server_state, outcome, host_id, output FROM result WHERE name = ?', [taskId]);

  it('Sybil: one account attaching twice never gets both instances of a workunit, so its wrong result is not canonical', async () => {
    const accounts = new Accounts(p.db);
    const mallory = await accounts.create('mallory');
    const alice = await accounts.create('alice');
    const carol = await accounts.create('carol');
    const m1 = await attach(mallory.weak_key);
    const m2 = await attach(mallory.weak_key);
    const [t1] = await fetchTasks(m1, mallory.weak_key);
    expect(t1).toBeDefined();
    // the second host of the same account gets nothing: the other instance is for another account
    expect(await fetchTasks(m2, mallory.weak_key)).toEqual([]);
    await rpc(m1, mallory.weak_key, { results: [corrupt(t1)] });
    const a = await attach(alice.weak_key);
    const [ta] = await fetchTasks(a, alice.weak_key);
    expect(ta.workunit).toBe(t1.workunit);
    await rpc(a, alice.weak_key, { results: [compute(ta)] });
    // 1 account vs 1 account: no majority, and mallory still may not take the tie-breaker
    expect((await p.project.summary()).workunits.done).toBe(0);
    expect(await fetchTasks(m2, mallory.weak_key)).toEqual([]);
    const c = await attach(carol.weak_key);
    const [tc] = await fetchTasks(c, carol.weak_key);
    await rpc(c, carol.weak_key, { results: [compute(tc)] });
    const s = await p.project.summary();
    expect(s.checks[0]).toEqual({ x: 1e6, known: 78_498, computed: 78_498, ok: true });
    expect(await rowOf(t1.task_id)).toMatchObject({ outcome: 'success' });
    expect((await p.db.get<{ validate_state: string }>('SELECT validate_state FROM result WHERE name = ?', [t1.task_id]))?.validate_state).toBe('invalid');
    expect(s.accounts.map((x) => [x.name, x.credit])).toEqual([['default', 0], ['mallory', 0], ['alice', 1], ['carol', 1]]);
  });

  it('the quorum counts distinct accounts: two agreeing results of one account are one vote', async () => {
    // both instances went to account 1 while it was the only account (single-account mode) …
    const h1 = await attach(ACCOUNT_KEY);
    const h2 = await attach(ACCOUNT_KEY);
    const [t1] = await fetchTasks(h1, ACCOUNT_KEY);
    const [t2] = await fetchTasks(h2, ACCOUNT_KEY);
    expect(t2.workunit).toBe(t1.workunit);
    await rpc(h1, ACCOUNT_KEY, { results: [corrupt(t1)] });
    // … then a second account appears: the second identical wrong result must not make a quorum
    const bob = await new Accounts(p.db).create('bob');
    await rpc(h2, ACCOUNT_KEY, { results: [corrupt(t2)] });
    expect((await p.project.summary()).workunits.done).toBe(0);
    const b = await attach(bob.weak_key);
    const [tb] = await fetchTasks(b, bob.weak_key);
    expect(tb.workunit).toBe(t1.workunit);
  });

  it('claiming another host id without its authenticator: 401 unknown_host, nothing resent, nothing changes', async () => {
    const victim = await attach(ACCOUNT_KEY);
    const attacker = await attach(weakKey(1, ACCOUNT_KEY));
    const [task] = await fetchTasks(victim, ACCOUNT_KEY);
    const other = await new Accounts(p.db).create('other');
    const before = await dump(p.db);
    const forged = { ...corrupt(task) };
    const attempts = [
      { ...victim, host_authenticator: attacker.host_authenticator },
      { ...victim, host_authenticator: 'f'.repeat(64) },
      { host_id: victim.host_id + 100, host_authenticator: attacker.host_authenticator },
    ];
    for (const creds of attempts) {
      const res = await request(p.app).post('/v1/scheduler').send(sched(creds, { results: [forged], in_progress: [], work_req_seconds: 100 }, weakKey(1, ACCOUNT_KEY)));
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('unknown_host');
      expect(res.body.reason).toMatch(/unknown to this account or its host authenticator is wrong: attach again/);
      expect(res.body.tasks).toBeUndefined();
    }
    // missing credentials are refused the same way, before anything else
    const { host_authenticator: _drop, ...noHostAuth } = sched(victim, { results: [forged] });
    const missingHost = await request(p.app).post('/v1/scheduler').send(noHostAuth);
    expect(missingHost.status).toBe(401);
    expect(missingHost.body).toEqual({ error: 'unknown_host', reason: 'host_authenticator is required: attach first' });
    const { authenticator: _drop2, ...noKey } = sched(victim, { results: [forged] });
    const missingKey = await request(p.app).post('/v1/scheduler').send(noKey);
    expect(missingKey.status).toBe(401);
    expect(missingKey.body).toEqual({ error: 'unauthorized', reason: 'authenticator is required' });
    const wrongKey = await request(p.app).post('/v1/scheduler').send(sched(victim, { results: [forged] }, 'not-the-account-key'));
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body).toEqual({ error: 'unauthorized', reason: 'unknown account key' });
    // a host authenticator only works with its own account's key
    const otherKeyOnVictim = await request(p.app).post('/v1/scheduler').send(sched(victim, { results: [forged] }, other.weak_key));
    expect(otherKeyOnVictim.status).toBe(401);
    expect(otherKeyOnVictim.body.error).toBe('unknown_host');
    expect(await dump(p.db)).toBe(before);
    // the honest report still counts
    const honest = await rpc(victim, ACCOUNT_KEY, { results: [compute(task)] });
    expect(honest.status).toBe(200);
    expect(honest.body.acks).toEqual([task.task_id]);
    expect(JSON.parse((await rowOf(task.task_id)).output ?? 'null')).toEqual(compute(task).output);
  });

  it('attach with another host id but the wrong host authenticator creates a new host; the victim keeps its own', async () => {
    const victim = await attach(ACCOUNT_KEY);
    const claimed = await attach(ACCOUNT_KEY, { host_id: victim.host_id, host_authenticator: '0'.repeat(64) });
    expect(claimed.host_id).not.toBe(victim.host_id);
    expect((await rpc(victim, ACCOUNT_KEY)).status).toBe(200);
    // with the right one the id is kept (a client re-attaching)
    const again = await attach(ACCOUNT_KEY, victim);
    expect(again).toEqual(victim);
  });

  it('a report from a host the instance was not sent to is refused, and the honest report still counts', async () => {
    const honest = await attach(ACCOUNT_KEY);
    const other = await attach(ACCOUNT_KEY);
    const [task] = await fetchTasks(honest, ACCOUNT_KEY);
    const res = await rpc(other, ACCOUNT_KEY, { results: [corrupt(task)] });
    expect(res.status).toBe(200);
    expect(res.body.acks).toEqual([task.task_id]);
    expect(res.body.messages).toContainEqual({ level: 'warning', text: `report for ${task.task_id} refused: not sent to this host` });
    expect(await rowOf(task.task_id)).toMatchObject({ server_state: 'in_progress', outcome: null, host_id: honest.host_id });
    expect(await p.registry.getSingleMetricAsString('work_server_reports_total')).toMatch(/disposition="refused"[^}]*\} 1$/m);
    const ok = await rpc(honest, ACCOUNT_KEY, { results: [compute(task)] });
    expect(ok.body.acks).toEqual([task.task_id]);
    expect(await rowOf(task.task_id)).toMatchObject({ server_state: 'over', outcome: 'success' });
    expect(JSON.parse((await rowOf(task.task_id)).output ?? 'null')).toEqual(compute(task).output);
  });

  it('rate-limits attaches per account: 429 with Retry-After and a reason, other accounts unaffected', async () => {
    await p.cleanup();
    p = await makeProject({ attachBurst: 2, attachRefillS: 30, now: () => clock }, undefined, db);
    const bob = await new Accounts(p.db).create('bob');
    await attach(ACCOUNT_KEY);
    await attach(ACCOUNT_KEY);
    const before = await dump(p.db);
    const res = await request(p.app).post('/v1/attach').send({ authenticator: ACCOUNT_KEY, host });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.body).toEqual({ error: 'rate_limited', reason: 'too many attaches for account 1 (2 at once, then 1 per 30 s): retry in 30 s' });
    expect(await dump(p.db)).toBe(before);
    await attach(bob.weak_key);
    clock += 30_000;
    await attach(ACCOUNT_KEY);
  });
});
