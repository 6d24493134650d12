import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pollUntil } from '@livelab/service-kit';
import { startTestPostgres, type TestPostgres } from '@livelab/work-server-core/testing';
import { CLIENT_JS, Proc, SERVER_JS, assertBuilt, clientEnv, serverEnv, summary } from './processes';

jest.setTimeout(150_000);

/** A TCP round robin over the replicas that skips dead ones (what a Kubernetes Service does for the clients). */
function roundRobin(ports: () => number[]): Promise<{ port: number; server: Server }> {
  let next = 0;
  const server = createServer((inbound) => {
    inbound.pause();
    const tryPort = (attempt: number) => {
      const list = ports();
      if (attempt >= list.length) {
        inbound.destroy();
        return;
      }
      const outbound = createConnection({ host: '127.0.0.1', port: list[next++ % list.length] });
      outbound.once('error', () => tryPort(attempt + 1));
      outbound.once('connect', () => {
        outbound.removeAllListeners('error');
        outbound.on('error', () => inbound.destroy());
        inbound.on('error', () => outbound.destroy());
        inbound.pipe(outbound).pipe(inbound);
        inbound.resume();
      });
    };
    tryPort(0);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server })));
}

describe('three work-server replicas on one PostgreSQL', () => {
  let postgres: TestPostgres | undefined;
  let proxy: Server | undefined;
  const procs: Proc[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'work-replicas-'));
  beforeAll(() => assertBuilt());
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    proxy?.close();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('6 clients over [0, 10^9); the lease holder killed with kill -9 twice mid-run: exact π, nothing sent twice, handover within 2 lease periods', async () => {
    postgres = await startTestPostgres();
    const url = await postgres.createDatabase();
    const urlFile = join(dir, 'database-url');
    writeFileSync(urlFile, `${url}\n`);
    chmodSync(urlFile, 0o600);
    const LEASE_MS = 1500;
    const env = serverEnv(dir, { WORK_DATABASE_URL_FILE: urlFile, WORK_LEASE_MS: String(LEASE_MS), WORK_RANGE_HI: '1000000000', WORK_UNIT_SPAN: '20000000', WORK_CUSHION: '12', WORK_ATTACH_BURST: '100' });
    const replicas = [0, 1, 2].map(() => new Proc(SERVER_JS, env, dir));
    procs.push(...replicas);
    const listening = await Promise.all(replicas.map((r) => r.waitFor('work server listening')));
    const port = new Map(replicas.map((r, i) => [r, listening[i]['port'] as number]));
    const name = new Map(replicas.map((r, i) => [listening[i]['replica'] as string, r]));
    const alive = () => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    const rr = await roundRobin(() => alive().map((r) => port.get(r) as number));
    proxy = rr.server;
    const clients = [1, 2, 3, 4, 5, 6].map((i) => new Proc(CLIENT_JS, clientEnv(rr.port, join(dir, `client-${i}`)), dir));
    procs.push(...clients);

    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const holder = async () => (await admin.query<{ holder: string; epoch: string }>("SELECT holder, epoch FROM lease WHERE name = 'daemons'")).rows[0];
      const handovers: number[] = [];
      for (const fraction of [1 / 3, 2 / 3]) {
        await pollUntil(`${Math.round(fraction * 100)} % done`, async () => (await summary(rr.port)).numbers_done >= fraction * 1e9, 90_000, 100);
        const before = await holder();
        const leader = name.get(before.holder) as Proc;
        const others = alive().filter((r) => r !== leader);
        const linesBefore = new Map(others.map((r) => [r, r.lines.length]));
        leader.kill('SIGKILL');
        const killedAt = Date.now();
        await leader.exited;
        const taker = await pollUntil(
          'another replica takes the lease',
          () => others.find((r) => r.lines.slice(linesBefore.get(r)).some((l) => l['msg'] === 'daemon lease acquired')),
          4 * LEASE_MS,
          20,
        );
        handovers.push(Date.now() - killedAt);
        const after = await holder();
        expect(name.get(after.holder)).toBe(taker);
        expect(Number(after.epoch)).toBe(Number(before.epoch) + 1);
      }
      // about two lease periods at most: the expiry (≤ 1 period) plus one renewal interval (1/3 period) and polling
      for (const ms of handovers) expect(ms).toBeLessThan(2 * LEASE_MS);
      process.stdout.write(`replica handover after kill -9: ${handovers.join(' ms, ')} ms (lease ${LEASE_MS} ms)\n`);

      await pollUntil('the range complete', async () => (await summary(rr.port)).complete, 120_000, 200);
      const s = await summary(rr.port);
      expect(s.primes_counted).toBe(50_847_534); // π(10^9)
      expect(s.checks.every((c) => c.ok === true)).toBe(true);
      // no host got two instances of one workunit, no range was made twice, every workunit has its canonical result
      expect((await admin.query('SELECT workunit_id, host_id FROM result WHERE host_id IS NOT NULL GROUP BY 1, 2 HAVING COUNT(*) > 1')).rows).toEqual([]);
      expect((await admin.query('SELECT lo FROM workunit GROUP BY lo HAVING COUNT(*) > 1')).rows).toEqual([]);
      const units = (await admin.query<{ n: string; canonical: string; assimilated: string }>('SELECT COUNT(*) AS n, COUNT(canonical_result_id) AS canonical, COUNT(c.workunit_id) AS assimilated FROM workunit w LEFT JOIN canonical c ON c.workunit_id = w.id')).rows[0];
      // 50 units of 2·10^7, plus the cuts at 10^6 and 10^7 (π checks)
      expect([Number(units.n), Number(units.canonical), Number(units.assimilated)]).toEqual([52, 52, 52]);
    } finally {
      await admin.end();
    }
  });
});
