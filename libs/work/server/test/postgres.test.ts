import { silentLogger } from '@livelab/service-kit';
import { sieveRange } from '@livelab/work-sieve';
import { accountCommand, openPostgresDatabase, startWorkServer, POSTGRES_MIGRATIONS, ProtocolError, WorkProject, type ProjectEvents, type ProjectOptions, type WorkServerHandle } from '../src';
import { startTestPostgres, type TestPostgres } from '../src/testing';
import { ACCOUNT_KEY, compute, host, request as sched } from './helpers';


// a real PostgreSQL on 2 shared cores: generous limits, the assertions are about behaviour, not speed
jest.setTimeout(30_000);

describe('PostgreSQL back end', () => {
  let pg: TestPostgres | undefined;
  let server: WorkServerHandle | undefined;
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    await pg?.stop();
  });

  it('migrates once when three replicas open the database at the same time; opening again is a no-op', async () => {
    const url = await (pg as TestPostgres).createDatabase();
    const dbs = await Promise.all([1, 2, 3].map(() => openPostgresDatabase(url)));
    for (const db of dbs) expect(await db.schemaVersion()).toBe(POSTGRES_MIGRATIONS.length);
    expect(await dbs[0].all('SELECT version FROM schema_migrations ORDER BY version')).toEqual(POSTGRES_MIGRATIONS.map((_, i) => ({ version: i + 1 })));
    await Promise.all(dbs.map((db) => db.close()));
    const again = await openPostgresDatabase(url);
    expect(await again.schemaVersion()).toBe(POSTGRES_MIGRATIONS.length);
    await again.close();
  });

  it('50 hosts asking for work at once from 3 replicas: no instance sent twice, no host given two of one workunit', async () => {
    const url = await (pg as TestPostgres).createDatabase();
    const opts = { accountKey: ACCOUNT_KEY, rangeHi: 1e7, unitSpan: 1e5, cushion: 40, attachBurst: 100 };
    const dbs = await Promise.all([1, 2, 3].map(() => openPostgresDatabase(url)));
    try {
      const replicas: WorkProject[] = [];
      for (const db of dbs) replicas.push(await WorkProject.open(db, opts));
      const hosts = await Promise.all(Array.from({ length: 50 }, (_, i) => replicas[i % 3].attach({ authenticator: ACCOUNT_KEY, host, client_version: '' })));
      const replies = await Promise.all(hosts.map((h, i) => replicas[i % 3].schedule(sched(h, { work_req_seconds: 3 }))));
      const sent = replies.flatMap((r) => r.tasks.map((t) => t.task_id));
      expect(sent.length).toBeGreaterThanOrEqual(50);
      expect(new Set(sent).size).toBe(sent.length);
      for (const r of replies) expect(new Set(r.tasks.map((t) => t.workunit)).size).toBe(r.tasks.length);
      const rows = await dbs[0].all<{ name: string; host_id: number }>("SELECT name, host_id FROM result WHERE server_state = 'in_progress' ORDER BY name");
      expect(rows.map((r) => r.name)).toEqual([...sent].sort());
      const twice = await dbs[0].all('SELECT workunit_id, host_id FROM result WHERE host_id IS NOT NULL GROUP BY workunit_id, host_id HAVING COUNT(*) > 1');
      expect(twice).toEqual([]);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  }, 60_000);

  it('the account CLI works on the PostgreSQL database', async () => {
    const database = { postgresUrl: await (pg as TestPostgres).createDatabase() };
    const created = await accountCommand(['create', 'alice'], database);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: 2, name: 'alice' });
    expect(await accountCommand(['create', 'alice'], database)).toMatchObject({ code: 2, stderr: 'work-server: account "alice" exists already\n' });
    const list = (await accountCommand(['list'], database)).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; name: string; disabled: boolean });
    expect(list.map((a) => [a.id, a.name, a.disabled])).toEqual([[2, 'alice', false]]);
  });

  it('a replica shutting down releases the daemon lease: another takes it at its next renewal, not after the expiry', async () => {
    const url = await (pg as TestPostgres).createDatabase();
    const start = (replicaName: string) =>
      startWorkServer({ database: { postgresUrl: url }, port: 0, host: '127.0.0.1', logger: silentLogger(), leaseMs: 3000, replicaName, project: { accountKey: ACCOUNT_KEY, rangeHi: 1e6 } });
    const a = await start('a');
    const b = await start('b');
    try {
      expect([a.lease.held, b.lease.held]).toEqual([true, false]);
      const t0 = Date.now();
      await a.close();
      while (!b.lease.held && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
      // b renews every second; without the release it would wait for the 3 s expiry
      expect(b.lease.held).toBe(true);
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      await b.close();
    }
  });

  /** `n` replicas (a pool each, as n processes would have) of one project on a new database. */
  async function replicas(n: number, opts: Partial<ProjectOptions>, events: ProjectEvents = {}) {
    const url = await (pg as TestPostgres).createDatabase();
    const dbs = await Promise.all(Array.from({ length: n }, () => openPostgresDatabase(url)));
    const projects: WorkProject[] = [];
    for (const db of dbs) projects.push(await WorkProject.open(db, { accountKey: ACCOUNT_KEY, ...opts }, events));
    return { db: dbs[0], projects, close: () => Promise.all(dbs.map((db) => db.close())) };
  }

  it('validation racing on 3 replicas: one canonical result per workunit, every valid result credited exactly once', async () => {
    const counted = { valid: 0, invalid: 0, assimilated: 0 };
    const events: ProjectEvents = { onValidated: (state, k) => (counted[state] += k), onAssimilated: () => counted.assimilated++ };
    // 10 workunits of 2,000 numbers, quorum 3 of 3: each host gets one instance of every workunit
    const r = await replicas(3, { rangeHi: 20_000, unitSpan: 2_000, minQuorum: 3, targetNResults: 3, cushion: 30, maxTasksPerRpc: 16 }, events);
    try {
      await r.projects[0].generate();
      const hosts = await Promise.all(r.projects.map((p) => p.attach({ authenticator: ACCOUNT_KEY, host, client_version: '' })));
      const tasks = await Promise.all(hosts.map((h, i) => r.projects[i].schedule(sched(h, { work_req_seconds: 1e6 }))));
      for (const t of tasks) expect(t.tasks).toHaveLength(10);
      // every report in an RPC of its own, all 30 at once, host i's on replica i, while every replica also runs the
      // transitioner (the daemon's entry point) on every workunit
      const wuIds = (await r.db.all<{ id: number }>('SELECT id FROM workunit ORDER BY id')).map((w) => w.id);
      await Promise.all([
        ...tasks.flatMap((t, i) => t.tasks.map((task) => r.projects[i].schedule(sched(hosts[i], { results: [compute(task)], in_progress: t.tasks.map((x) => x.task_id).filter((x) => x !== task.task_id) })))),
        ...r.projects.flatMap((p) => wuIds.map((id) => p.transition(id))),
      ]);
      const canonical = await r.db.all<{ workunit_id: number; result_id: number; count: number }>('SELECT workunit_id, result_id, count FROM canonical ORDER BY workunit_id');
      expect(canonical.map((c) => c.workunit_id)).toEqual(wuIds);
      const wus = await r.db.all<{ id: number; canonical_result_id: number }>('SELECT id, canonical_result_id FROM workunit ORDER BY id');
      expect(wus.map((w) => w.canonical_result_id)).toEqual(canonical.map((c) => c.result_id));
      expect(canonical.reduce((a, c) => a + c.count, 0)).toBe(sieveRange(0, 20_000).count);
      const results = await r.db.all<{ validate_state: string; granted_credit: number }>('SELECT validate_state, granted_credit FROM result');
      expect(results).toHaveLength(30);
      for (const x of results) expect(x).toEqual({ validate_state: 'valid', granted_credit: 0.002 });
      // each host: 10 valid results of 2,000 numbers = 10 × 0.002 credit, not more
      const credit = await r.db.all<{ total_credit: number }>('SELECT total_credit FROM host ORDER BY id');
      for (const c of credit) expect(c.total_credit).toBeCloseTo(0.02, 9);
      expect(counted).toEqual({ valid: 30, invalid: 0, assimilated: 10 });
    } finally {
      await r.close();
    }
  }, 60_000);

  it('generation racing on 3 replicas never overshoots the cushion', async () => {
    const r = await replicas(3, { rangeHi: 1e6, unitSpan: 1_000, targetNResults: 2, cushion: 12, attachBurst: 100 });
    try {
      await Promise.all(r.projects.flatMap((p) => [p.generate(), p.runBackend(), p.generate(), p.runBackend()]));
      expect(await r.db.get('SELECT COUNT(*) AS n FROM result WHERE server_state = ?', ['unsent'])).toEqual({ n: 12 });
      expect(await r.db.get('SELECT COUNT(*) AS n, MAX(hi) AS hi FROM workunit')).toEqual({ n: 6, hi: 6_000 });
      // 24 hosts asking at once, 8 per replica: what they take is made again, never more than the cushion unsent
      const hosts = await Promise.all(Array.from({ length: 24 }, (_, i) => r.projects[i % 3].attach({ authenticator: ACCOUNT_KEY, host, client_version: '' })));
      const replies = await Promise.all(hosts.map((h, i) => r.projects[i % 3].schedule(sched(h, { work_req_seconds: 1 }))));
      expect(replies.every((x) => x.tasks.length === 1)).toBe(true);
      const unsent = Number((await r.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM result WHERE server_state = ?', ['unsent']))?.n);
      // a starving RPC tops the cushion up in whole workunits (2 instances each)
      expect(unsent).toBeLessThan(12 + 2);
      await Promise.all(r.projects.map((p) => p.generate()));
      expect(await r.db.get('SELECT COUNT(*) AS n FROM result WHERE server_state = ?', ['unsent'])).toEqual({ n: 12 });
    } finally {
      await r.close();
    }
  }, 60_000);

  it('3 replicas enforce one attach limit per account (shared token buckets)', async () => {
    let clock = 1_000_000;
    const r = await replicas(3, { rangeHi: 1e6, attachBurst: 4, attachRefillS: 60, now: () => clock });
    try {
      const attachAll = (n: number) =>
        Promise.allSettled(Array.from({ length: n }, (_, i) => r.projects[i % 3].attach({ authenticator: ACCOUNT_KEY, host, client_version: '' })));
      const first = await attachAll(15);
      expect(first.filter((x) => x.status === 'fulfilled')).toHaveLength(4);
      const refused = first.filter((x): x is PromiseRejectedResult => x.status === 'rejected').map((x) => x.reason as ProtocolError);
      expect(refused).toHaveLength(11);
      for (const e of refused) expect([e.code, e.retryAfterS]).toEqual(['rate_limited', 60]);
      // 90 s later: one and a half tokens → one more attach, on any replica, then the next waits 30 s
      clock += 90_000;
      const second = await attachAll(6);
      expect(second.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      const waits = second.filter((x): x is PromiseRejectedResult => x.status === 'rejected').map((x) => (x.reason as ProtocolError).retryAfterS);
      expect(waits).toEqual([30, 30, 30, 30, 30]);
    } finally {
      await r.close();
    }
  }, 30_000);

  it('/readyz fails while the database is unreachable', async () => {
    server = await startWorkServer({
      database: { postgresUrl: await (pg as TestPostgres).createDatabase() }, port: 0, host: '127.0.0.1', logger: silentLogger(), backendIntervalMs: 60_000,
      project: { accountKey: ACCOUNT_KEY, rangeHi: 1e6 },
    });
    const ready = () => fetch(`http://127.0.0.1:${(server as WorkServerHandle).port}/readyz`);
    expect((await ready()).status).toBe(200);
    await (pg as TestPostgres).stop();
    pg = undefined;
    const res = await ready();
    expect(res.status).toBe(503);
    expect((await res.json()).checks.database).toMatch(/^error: /);
  });
});
