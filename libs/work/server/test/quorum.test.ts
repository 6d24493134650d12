import { BACKENDS, compute, corrupt, host, makeProject, request as sched, type HostCreds, type TestProject, useBackend } from './helpers';
import type { Task } from '@livelab/work-protocol';

describe.each(BACKENDS)('transitioner, validator and assimilator on %s', (backend) => {
  const db = useBackend(backend);
  let p: TestProject;
  let clock = 1_000_000;
  beforeEach(async () => (p = await makeProject({ rangeHi: 1e6, unitSpan: 1e6, cushion: 2, delayBoundS: 60, now: () => clock }, undefined, db)));
  afterEach(() => p.cleanup());
  const attach = (): Promise<HostCreds> => p.project.attach({ authenticator: 'test-account-key-0123456789abcdef', host, client_version: '' });
  const fetch = async (h: HostCreds): Promise<Task[]> => (await p.project.schedule(sched(h, { work_req_seconds: 1 }))).tasks;

  it('reaches quorum with one faulty host: the wrong result is invalid, the canonical one is stored', async () => {
    const [good1, faulty, good2] = [await attach(), await attach(), await attach()];
    const t1 = (await fetch(good1))[0];
    const tf = (await fetch(faulty))[0];
    expect(tf.workunit).toBe(t1.workunit);
    await p.project.schedule(sched(good1, { results: [compute(t1)] }));
    await p.project.schedule(sched(faulty, { results: [corrupt(tf)] }));
    // 1 vs 1: no strict majority → a third instance, which good2 gets
    expect((await p.project.summary()).workunits.done).toBe(0);
    const t3 = (await fetch(good2))[0];
    expect(t3.workunit).toBe(t1.workunit);
    // the faulty host may not get a second instance of the same workunit
    expect((await fetch(faulty))).toEqual([]);
    const reply = await p.project.schedule(sched(good2, { results: [compute(t3)] }));
    expect(reply.host_credit).toBe(1);
    const states = await p.db.all<{ name: string; validate_state: string }>('SELECT name, validate_state FROM result ORDER BY id');
    expect(states.find((s) => s.name === tf.task_id)?.validate_state).toBe('invalid');
    expect(states.find((s) => s.name === t1.task_id)?.validate_state).toBe('valid');
    const s = await p.project.summary();
    expect(s.checks[0]).toEqual({ x: 1e6, known: 78498, computed: 78498, ok: true });
    expect(s.complete).toBe(true);
  });

  it('turns an expired lease into no-reply and reissues the workunit to another host', async () => {
    const [a, b, c] = [await attach(), await attach(), await attach()];
    const ta = (await fetch(a))[0];
    const tb = (await fetch(b))[0];
    clock += 61_000;
    expect((await p.project.runBackend()).timedOut).toBe(2);
    const row = await p.db.get('SELECT server_state, outcome FROM result WHERE name = ?', [ta.task_id]);
    expect(row).toEqual({ server_state: 'over', outcome: 'no_reply' });
    const tc = (await fetch(c))[0];
    expect(tc.workunit).toBe(ta.workunit);
    // a late success from a is still accepted and counts towards the quorum
    await p.project.schedule(sched(a, { results: [compute(ta)] }));
    await p.project.schedule(sched(c, { results: [compute(tc)] }));
    expect((await p.project.summary()).checks[0].ok).toBe(true);
    // b's report arrives after the workunit is done: acked, validated against the canonical result
    const late = await p.project.schedule(sched(b, { results: [compute(tb)] }));
    expect(late.acks).toEqual([tb.task_id]);
    expect(late.host_credit).toBe(1);
  });

  it('gives up on a workunit after too many errors', async () => {
    const hosts = [await attach(), await attach(), await attach(), await attach(), await attach()];
    for (const h of hosts) {
      const t = (await fetch(h))[0];
      if (!t) break;
      await p.project.schedule(sched(h, { results: [{ task_id: t.task_id, outcome: 'client_error', error: 'boom', elapsed_s: 0 }] }));
    }
    expect((await p.project.summary()).workunits.error).toBe(1);
  });
});
