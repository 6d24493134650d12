import request from 'supertest';
import { weakKey } from '@livelab/work-protocol';
import { ACCOUNT_KEY, BACKENDS, compute, host, makeProject, request as sched, type HostCreds, type TestProject, theRow, useBackend } from './helpers';

describe.each(BACKENDS)('work server /v1 contract on %s', (backend) => {
  const db = useBackend(backend);
  let p: TestProject;
  beforeEach(async () => (p = await makeProject({}, undefined, db)));
  afterEach(() => p.cleanup());

  async function attach(key = ACCOUNT_KEY): Promise<HostCreds> {
    const res = await request(p.app).post('/v1/attach').send({ authenticator: key, host });
    expect(res.status).toBe(200);
    return res.body as HostCreds;
  }

  it('attaches with the account key or the weak key, and refuses a wrong key with 401', async () => {
    const a = await attach();
    const b = await attach(weakKey(1, ACCOUNT_KEY));
    expect(b.host_id).not.toBe(a.host_id);
    const bad = await request(p.app).post('/v1/attach').send({ authenticator: 'wrong-key-123456', host });
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual({ error: 'unauthorized', reason: 'unknown account key' });
    const badSched = await request(p.app).post('/v1/scheduler').send({ ...sched(a), authenticator: 'wrong-key-123456' });
    expect(badSched.status).toBe(401);
  });

  it('reuses a host id for the same account when the host authenticator matches', async () => {
    const a = await attach();
    const res = await request(p.app).post('/v1/attach').send({ authenticator: ACCOUNT_KEY, host_id: a.host_id, host_authenticator: a.host_authenticator, host });
    expect(res.body.host_id).toBe(a.host_id);
    const bare = await request(p.app).post('/v1/attach').send({ authenticator: ACCOUNT_KEY, host_id: a.host_id, host });
    expect(bare.body.host_id).not.toBe(a.host_id);
  });

  it('answers malformed requests with 400 and a reason', async () => {
    const a = await attach();
    const cases: Array<[unknown, RegExp]> = [
      [{ ...sched(a), work_req_seconds: 'lots' }, /^work_req_seconds: /],
      [{ ...sched(a), results: [{ task_id: 'x', outcome: 'success', elapsed_s: 1, output: { count: -1, sum: '0', sha256: '0'.repeat(64) } }] }, /^results\.0\.output\.count/],
      [{ ...sched(a), results: [{ task_id: 'x', outcome: 'exploded', elapsed_s: 1 }] }, /^results\.0\.outcome/],
      [{ ...sched(a), extra: true }, /extra/],
      [{ ...sched(a), host_authenticator: 'short' }, /^host_authenticator: /],
      [{ ...sched(a), results: [{ task_id: 'x', outcome: 'success', elapsed_s: 1, output: { count: 1, sum: '18446744073709551616', sha256: '0'.repeat(64) } }] }, /^results\.0\.output\.sum: sum must be a decimal integer < 2\^64$/],
      [[1, 2, 3], /object/],
    ];
    for (const [body, reason] of cases) {
      const res = await request(p.app).post('/v1/scheduler').send(body as object);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('bad_request');
      expect(res.body.reason).toMatch(reason);
    }
    const noKey = await request(p.app).post('/v1/scheduler').send({});
    expect(noKey.status).toBe(401);
    expect(noKey.body).toEqual({ error: 'unauthorized', reason: 'authenticator is required' });
    const notJson = await request(p.app).post('/v1/scheduler').set('Content-Type', 'application/json').send('{"authenticator":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.reason).toMatch(/not valid JSON/);
  });

  it('refuses oversized bodies with 413', async () => {
    const res = await request(p.app)
      .post('/v1/scheduler')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ pad: 'x'.repeat(100 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('payload_too_large');
  });

  it('hands out tasks, never two instances of a workunit to one host', async () => {
    const a = await attach();
    const res = await request(p.app).post('/v1/scheduler').send(sched(a, { work_req_seconds: 1e6 }));
    expect(res.status).toBe(200);
    const wus = res.body.tasks.map((t: { workunit: string }) => t.workunit);
    expect(wus.length).toBeGreaterThan(1);
    expect(new Set(wus).size).toBe(wus.length);
    expect(res.body.request_delay_s).toBe(5);
    for (const t of res.body.tasks) expect(t.input.hi - t.input.lo).toBeLessThanOrEqual(250_000);
  });

  it('acks reports idempotently: duplicate acked, success never overwritten, unknown and foreign tasks ignored', async () => {
    const a = await attach();
    const b = await attach();
    const got = (await request(p.app).post('/v1/scheduler').send(sched(a, { work_req_seconds: 1 }))).body;
    const task = got.tasks[0];
    const good = compute(task);
    const r1 = await request(p.app).post('/v1/scheduler').send(sched(a, { results: [good] }));
    expect(r1.body.acks).toEqual([task.task_id]);
    // duplicate, and an attempt to overwrite with an error
    const r2 = await request(p.app)
      .post('/v1/scheduler')
      .send(sched(a, { results: [good, { task_id: task.task_id, outcome: 'client_error', error: 'late crash', elapsed_s: 1 }] }));
    expect(r2.status).toBe(200);
    expect(r2.body.acks).toEqual([task.task_id, task.task_id]);
    const row = await theRow<{ outcome: string; output: string }>(p.db, 'SELECT outcome, output FROM result WHERE name = ?', [task.task_id]);
    expect(row.outcome).toBe('success');
    expect(JSON.parse(row.output)).toEqual(good.output);
    // unknown task, and host b reporting host a's task
    const r3 = await request(p.app)
      .post('/v1/scheduler')
      .send(sched(b, { results: [{ ...good, task_id: 'no_such_task' }, { ...good, output: { ...good.output, count: 1 } }] }));
    expect(r3.status).toBe(200);
    expect(r3.body.acks).toEqual(['no_such_task', task.task_id]);
    const after = await theRow<{ output: string }>(p.db, 'SELECT output FROM result WHERE name = ?', [task.task_id]);
    expect(JSON.parse(after.output)).toEqual(good.output);
  });

  it('resends a task the host has lost', async () => {
    const a = await attach();
    const first = (await request(p.app).post('/v1/scheduler').send(sched(a, { work_req_seconds: 1 }))).body;
    const again = (await request(p.app).post('/v1/scheduler').send(sched(a, { work_req_seconds: 0 }))).body;
    expect(again.tasks.map((t: { task_id: string }) => t.task_id)).toEqual(first.tasks.map((t: { task_id: string }) => t.task_id));
    const held = (await request(p.app).post('/v1/scheduler').send(sched(a, { in_progress: first.tasks.map((t: { task_id: string }) => t.task_id) }))).body;
    expect(held.tasks).toEqual([]);
  });

  it('serves summary, page and ops endpoints', async () => {
    const s = await request(p.app).get('/v1/summary');
    expect(s.status).toBe(200);
    expect(s.body.checks).toEqual([{ x: 1e6, known: 78498, computed: null, ok: null }]);
    const page = await request(p.app).get('/');
    expect(page.text).toContain('π(1,000,000)');
    expect(page.text).toContain('<td style="text-align:left">default</td>');
    expect(s.body.accounts).toEqual([{ id: 1, name: 'default', disabled: false, hosts: 0, credit: 0 }]);
    expect(s.body.quorum_counts).toBe('hosts');
    expect((await request(p.app).get('/healthz')).status).toBe(200);
    expect((await request(p.app).get('/metrics')).text).toContain('work_server_rpcs_total');
    expect((await request(p.app).get('/v1/nope')).status).toBe(404);
  });
});
