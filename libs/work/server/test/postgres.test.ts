import { silentLogger } from '@livelab/service-kit';
import { accountCommand, openPostgresDatabase, startWorkServer, POSTGRES_MIGRATIONS, WorkProject, type WorkServerHandle } from '../src';
import { startTestPostgres, type TestPostgres } from '../src/testing';
import { ACCOUNT_KEY, host, request as sched } from './helpers';


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
