import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proc, SERVER_JS, CLIENT_JS, assertBuilt, clientEnv, createAccount, serverEnv, summary } from './processes';
import { pollUntil } from '@livelab/service-kit';

jest.setTimeout(90_000);

describe('work server + clients as real processes', () => {
  const procs: Proc[] = [];
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'work-e2e-'));
    dirs.push(d);
    return d;
  };
  const run = (script: string, env: Record<string, string>, cwd: string) => {
    const p = new Proc(script, env, cwd);
    procs.push(p);
    return p;
  };
  beforeAll(() => assertBuilt());
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      p.kill('SIGKILL');
      await p.exited;
    }
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('one server and three accounts (one faulty, running two hosts) count the primes below 10^7 and match π', async () => {
    const dir = tmp();
    // `work-server account create` before the server starts: the quorum then counts accounts
    const keys = Object.fromEntries(['faulty', 'a', 'b'].map((name) => [name, createAccount(dir, name).weak_key]));
    const server = run(SERVER_JS, serverEnv(dir, { WORK_RANGE_HI: '10000000', WORK_UNIT_SPAN: '3000000', WORK_CUSHION: '6' }), dir);
    const port = (await server.waitFor('work server listening'))['port'] as number;
    // the faulty account attaches two hosts (a Sybil): they agree on every wrong result, but they are one vote
    const faultyHosts = ['faulty', 'faulty-2'].map((d) => run(CLIENT_JS, clientEnv(port, join(dir, d), { WORK_FAULT_CORRUPT_RESULTS: 'true', WORK_ACCOUNT_KEY: keys['faulty'] }), dir));
    for (const name of ['a', 'b']) run(CLIENT_JS, clientEnv(port, join(dir, name), { WORK_ACCOUNT_KEY: keys[name] }), dir);
    await pollUntil('all workunits validated', async () => (await summary(port)).complete, 60_000);
    const s = await summary(port);
    expect(s.primes_counted).toBe(664_579);
    expect(s.checks).toEqual([
      { x: 1e6, known: 78_498, computed: 78_498, ok: true },
      { x: 1e7, known: 664_579, computed: 664_579, ok: true },
    ]);
    // the faulty hosts' results were all rejected, and never did both get an instance of the same workunit
    const units = faultyHosts.map((h) => h.lines.filter((l) => l['msg'] === 'task finished').map((l) => String(l['task']).replace(/_\d+$/, '')));
    const invalid = s.results.filter((r) => r.validate_state === 'invalid').reduce((a, r) => a + r.n, 0);
    expect(units.flat().length).toBeGreaterThanOrEqual(1);
    expect(units[0].filter((u) => units[1].includes(u))).toEqual([]);
    expect(invalid).toBeGreaterThanOrEqual(1);
    expect(s.quorum_counts).toBe('accounts');
    expect(s.accounts.find((a) => a.name === 'faulty')?.credit).toBe(0);
    expect(s.accounts.filter((a) => a.credit > 0).map((a) => a.name).sort()).toEqual(['a', 'b']);
    // SIGTERM: clients and server exit cleanly, well under 10 s
    const t0 = Date.now();
    for (const p of procs) p.kill('SIGTERM');
    const exits = await Promise.all(procs.map((p) => p.exited));
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(exits.map((e) => e.code)).toEqual(procs.map(() => 0));
  });

  it('a client killed mid-unit resumes from its checkpoint', async () => {
    const dir = tmp();
    const server = run(SERVER_JS, serverEnv(dir, { WORK_RANGE_LO: '200000000', WORK_RANGE_HI: '1000000000', WORK_UNIT_SPAN: '800000000', WORK_MIN_QUORUM: '1', WORK_TARGET_NRESULTS: '1' }), dir);
    const port = (await server.waitFor('work server listening'))['port'] as number;
    const state = join(dir, 'client');
    const first = run(CLIENT_JS, clientEnv(port, state, { WORK_CHECKPOINT_INTERVAL_MS: '0' }), dir);
    // kill -9 as soon as a checkpoint a few segments in is on disk
    const chunksOnDisk = () => {
      try {
        const st = JSON.parse(readFileSync(join(state, 'client-state.json'), 'utf8')) as { tasks: Array<{ checkpoint?: { chunksDone: number } }> };
        return st.tasks[0]?.checkpoint?.chunksDone ?? 0;
      } catch {
        return 0;
      }
    };
    await pollUntil('a checkpoint on disk', () => chunksOnDisk() >= 20, 40_000, 5);
    first.kill('SIGKILL');
    await first.exited;
    const killedAt = chunksOnDisk();
    const second = run(CLIENT_JS, clientEnv(port, state), dir);
    const started = await second.waitFor('task started', 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; second client said: ${JSON.stringify(second.lines.slice(-5))} ${second.stderr.join('')}`);
    });
    expect(started['resumeFromChunk']).toBe(killedAt);
    expect(killedAt).toBeLessThan(763); // 8·10^8 numbers = 763 segments: it was killed mid-unit
    await pollUntil('the unit validated', async () => (await summary(port)).complete, 60_000);
    const s = await summary(port);
    // π(10^9) − π(2·10^8) = 50,847,534 − 11,078,937
    expect(s.primes_counted).toBe(39_768_597);
  });
});
