import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { HealthState, closeServer, createMetricsRegistry, listen, silentLogger } from '@livelab/service-kit';
import { startWorkServer, type WorkServerHandle } from '@livelab/work-server-core';
import { WorkClient, createControlApp, parseRunMode } from '../src';

jest.setTimeout(60_000);
const KEY = 'client-test-account-key-123';

async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('WorkClient in-process against a real work server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'work-client-'));
  let server: WorkServerHandle;
  const clients: WorkClient[] = [];
  beforeAll(async () => {
    server = await startWorkServer({
      database: { sqlitePath: join(dir, 'work.db') }, port: 0, host: '127.0.0.1', logger: silentLogger(), backendIntervalMs: 100,
      project: { accountKey: KEY, rangeHi: 3e6, unitSpan: 1e6, cushion: 4, requestDelayS: 0.1 },
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const makeClient = (name: string, extra: Partial<ConstructorParameters<typeof WorkClient>[0]> = {}) => {
    const c = new WorkClient({
      serverUrl: `http://127.0.0.1:${server.port}`, accountKey: KEY, stateDir: join(dir, name), logger: silentLogger(),
      registry: createMetricsRegistry(name, false), runMode: parseRunMode('always'), workBufMinS: 1, workBufExtraS: 1,
      backoffMinMs: 50, backoffMaxMs: 400, checkpointIntervalMs: 0, tickMs: 100, ...extra,
    });
    clients.push(c);
    return c;
  };

  it('two honest clients and one faulty one: every unit validated, π(10^6) matches, the faulty results rejected', async () => {
    const faulty = makeClient('faulty', { faultCorruptResults: true });
    faulty.start();
    await until(() => faulty.status().tasks.length > 0, 20_000, 'faulty client got work');
    for (const n of ['a', 'b']) makeClient(n).start();
    await until(async () => (await server.project.summary()).complete, 45_000, 'range complete');
    const s = await server.project.summary();
    expect(s.checks[0]).toEqual({ x: 1e6, known: 78_498, computed: 78_498, ok: true });
    expect(s.primes_counted).toBe(216_816); // π(3·10^6)
    const invalid = s.results.filter((r) => r.validate_state === 'invalid').reduce((a, r) => a + r.n, 0);
    expect(invalid).toBeGreaterThanOrEqual(1);
    expect(faulty.status().credit).toBe(0);
  });

  describe('control API', () => {
    let client: WorkClient;
    let app: ReturnType<typeof createControlApp>;
    beforeAll(() => {
      client = makeClient('control', { runMode: parseRunMode('never') });
      client.start();
      app = createControlApp({ client, password: 'pw-123', health: new HealthState(), registry: createMetricsRegistry('ctl', false) });
    });

    it('needs the password for /v1, not for health', async () => {
      expect((await request(app).get('/v1/state')).status).toBe(401);
      expect((await request(app).get('/v1/state').set('Authorization', 'Bearer wrong')).status).toBe(401);
      expect((await request(app).get('/healthz')).status).toBe(200);
      const ok = await request(app).get('/v1/state').auth('any', 'pw-123');
      expect(ok.status).toBe(200);
      expect(ok.body.run_mode).toEqual({ mode: 'never', computing_allowed: false });
    });

    it('sets the run mode and refuses bad ones with a reason', async () => {
      const auth = { Authorization: 'Bearer pw-123' };
      const res = await request(app).put('/v1/run-mode').set(auth).send({ mode: 'window', window: '00:00-24:00' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ mode: 'window', window: '00:00-24:00', computing_allowed: true });
      const bad = await request(app).put('/v1/run-mode').set(auth).send({ mode: 'window', window: 'lunch' });
      expect(bad.status).toBe(400);
      expect(bad.body.reason).toMatch(/must look like/);
      expect((await request(app).put('/v1/run-mode').set(auth).send({ mode: 'sometimes' })).status).toBe(400);
    });
  });

  it('attaches again as a new host when the server does not know its host authenticator', async () => {
    const stateDir = join(dir, 'forged');
    mkdirSync(stateDir, { recursive: true });
    // a state directory holding host 1's id with a wrong authenticator (a wiped or upgraded server looks the same)
    const stale = { version: 1, server_url: `http://127.0.0.1:${server.port}`, host_id: 1, host_authenticator: 'f'.repeat(64), credit: 0, numbers_per_second: 0, tasks: [] };
    writeFileSync(join(stateDir, 'client-state.json'), JSON.stringify(stale));
    const c = makeClient('forged', { stateDir });
    c.start();
    const id = await until(() => (c.status().host_id ?? 1) > 1 && c.status().host_id, 20_000, 'a new host id');
    const saved = JSON.parse(readFileSync(join(stateDir, 'client-state.json'), 'utf8'));
    expect(saved.host_id).toBe(id);
    expect(saved.host_authenticator).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(stateDir, 'client-state.json')).mode & 0o077).toBe(0);
  });

  it('a state directory from before host authenticators: drops its host and tasks, attaches as a new host', async () => {
    const stateDir = join(dir, 'legacy');
    mkdirSync(stateDir, { recursive: true });
    const task = { task_id: 'old_task_0', workunit: 'old', app: { name: 'sieve', version: 1 }, input: { lo: 0, hi: 1000 }, deadline_ms: Date.now() + 3600_000, est_seconds: 1 };
    const legacy = { version: 1, server_url: `http://127.0.0.1:${server.port}`, host_id: 1, credit: 0, numbers_per_second: 0, tasks: [{ task, status: 'queued', elapsed_s: 0 }] };
    writeFileSync(join(stateDir, 'client-state.json'), JSON.stringify(legacy));
    const c = makeClient('legacy', { stateDir, runMode: parseRunMode('never') });
    c.start();
    const id = await until(() => (c.status().host_id ?? 1) > 1 && c.status().host_id, 20_000, 'a new host id');
    expect(c.status().tasks.map((t) => t.task_id)).not.toContain('old_task_0');
    expect(JSON.parse(readFileSync(join(stateDir, 'client-state.json'), 'utf8'))).toMatchObject({ host_id: id, host_authenticator: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('keeps backing off while the server answers 503, without attaching', async () => {
    const dead: Server = createServer((_req, res) => res.writeHead(503).end('{"error":"down","reason":"maintenance"}'));
    const port = await listen(dead, 0, '127.0.0.1');
    const c = makeClient('backoff', { serverUrl: `http://127.0.0.1:${port}` });
    c.start();
    await until(() => c.status().rpc_failures_in_a_row >= 3, 20_000, 'three failures');
    await closeServer(dead);
    expect(c.status().host_id).toBeNull();
  });
});
