import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { weakKey } from '@livelab/work-protocol';
import { Accounts, SQLITE_MIGRATIONS, TokenBuckets, WorkProject, accountCommand, openSqliteDatabase } from '../src';
import { ACCOUNT_KEY, compute, dump, host, makeProject, request as sched } from './helpers';

describe('accounts', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'work-accounts-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('account create prints the keys once, stores only digests, the keys work; account disable stops them', async () => {
    const p = await makeProject({}, tmp());
    try {
      const r = await accountCommand(['create', 'alice'], { sqlitePath: p.dbPath });
      expect(r.code).toBe(0);
      const alice = JSON.parse(r.stdout) as { id: number; name: string; account_key: string; weak_key: string };
      expect(alice).toMatchObject({ id: 2, name: 'alice' });
      expect(alice.weak_key).toBe(weakKey(2, alice.account_key));
      expect(r.stderr).toMatch(/neither can be shown again/);
      const stored = JSON.stringify(await p.db.all('SELECT * FROM account'));
      expect(stored).not.toContain(alice.account_key);
      expect(stored).not.toContain(alice.weak_key.slice(2));
      for (const key of [alice.account_key, alice.weak_key]) {
        const res = await request(p.app).post('/v1/attach').send({ authenticator: key, host });
        expect(res.status).toBe(200);
        expect(res.body.user_id).toBe(2);
      }
      // a weak key with another account's id prefix is not that account's key
      expect((await request(p.app).post('/v1/attach').send({ authenticator: `1_${alice.weak_key.slice(2)}`, host })).status).toBe(401);
      expect(await accountCommand(['create', 'alice'], { sqlitePath: p.dbPath })).toMatchObject({ code: 2, stderr: 'work-server: account "alice" exists already\n' });
      expect((await accountCommand(['create', 'no spaces'], { sqlitePath: p.dbPath })).code).toBe(2);
      expect(await accountCommand(['frobnicate'], { sqlitePath: p.dbPath })).toMatchObject({ code: 2, stderr: expect.stringMatching(/^usage: /) });
      const list = (await accountCommand(['list'], { sqlitePath: p.dbPath })).stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(list.map((a: { id: number; name: string; hosts: number }) => [a.id, a.name, a.hosts])).toEqual([[1, 'default', 0], [2, 'alice', 2]]);
      expect((await p.project.summary()).quorum_counts).toBe('accounts');

      // disable: both keys refused at once (a fresh host and an attached one), nothing changes; account 1 cannot be disabled
      const hostOfAlice = (await request(p.app).post('/v1/attach').send({ authenticator: alice.weak_key, host })).body;
      expect(await accountCommand(['disable', 'alice'], { sqlitePath: p.dbPath })).toMatchObject({ code: 0, stderr: expect.stringMatching(/disabled: its keys are refused/) });
      const before = await dump(p.db);
      for (const key of [alice.account_key, alice.weak_key]) {
        const res = await request(p.app).post('/v1/attach').send({ authenticator: key, host });
        expect([res.status, res.body]).toEqual([401, { error: 'unauthorized', reason: 'account 2 is disabled' }]);
      }
      const rpc = await request(p.app).post('/v1/scheduler').send(sched(hostOfAlice, { work_req_seconds: 10 }, alice.weak_key));
      expect(rpc.status).toBe(401);
      expect(await dump(p.db)).toBe(before);
      expect(await accountCommand(['disable', 'default'], { sqlitePath: p.dbPath })).toMatchObject({ code: 2, stderr: expect.stringMatching(/rotate that Secret instead/) });
      expect((await accountCommand(['disable', 'nobody'], { sqlitePath: p.dbPath })).code).toBe(2);
      expect((await p.project.summary()).accounts.map((a) => [a.name, a.disabled])).toEqual([['default', false], ['alice', true]]);
      expect((await request(p.app).get('/')).text).toContain('alice (disabled)');
    } finally {
      await p.cleanup();
    }
  });

  it('account 1 follows WORK_ACCOUNT_KEY: a rotated key replaces the old one', async () => {
    const dir = tmp();
    const db = openSqliteDatabase(join(dir, 'work.db'));
    try {
      await WorkProject.open(db, { accountKey: ACCOUNT_KEY, rangeHi: 1e6 });
      const rotated = await WorkProject.open(db, { accountKey: 'the-new-account-key-0123456789', rangeHi: 1e6 });
      await expect(rotated.attach({ authenticator: ACCOUNT_KEY, host, client_version: '' })).rejects.toThrow('unknown account key');
      expect((await rotated.attach({ authenticator: weakKey(1, 'the-new-account-key-0123456789'), host, client_version: '' })).user_id).toBe(1);
      expect(await new Accounts(db).count()).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('token bucket: burst, then one per refill period', () => {
    let t = 0;
    const b = new TokenBuckets(2, 10, () => t);
    expect([b.take('a'), b.take('a'), b.take('a'), b.take('b')]).toEqual([0, 0, 10, 0]);
    t = 5_000;
    expect(b.take('a')).toBe(5);
    t = 10_000;
    expect(b.take('a')).toBe(0);
    t = 1e9;
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 10]);
  });
});

describe('schema migration from the version-1 database', () => {
  it('keeps shipped migrations frozen', () => {
    // editing a shipped migration breaks existing databases: append a new one instead
    expect(createHash('sha256').update(SQLITE_MIGRATIONS[0]).digest('hex')).toBe(V1_SHA256);
  });

  it('upgrades a database written by the old server: data kept, old hosts must attach again, work goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'work-migrate-'));
    const path = join(dir, 'work.db');
    try {
      // what the old server left behind: schema 1, one host with two tasks (one reported, one in progress)
      const old = openSqliteDatabase(path, 1);
      expect(await old.schemaVersion()).toBe(1);
      old.raw.exec(`
        INSERT INTO meta VALUES ('range', '0-1000000'), ('next_lo', '1000000');
        INSERT INTO host(id, user_id, name, cores, memory_mb, created_ms) VALUES (7, 1, 'old-host', 2, 1024, 1);
        INSERT INTO workunit(id, name, lo, hi, min_quorum, target_nresults, max_error_results, max_total_results, delay_bound_s, created_ms)
          VALUES (1, 'sieve_0_1000000', 0, 1000000, 2, 2, 3, 8, 3600, 1);
        INSERT INTO result(id, name, workunit_id, server_state, outcome, host_id, sent_ms, deadline_ms, received_ms, output, elapsed_s)
          VALUES (1, 'sieve_0_1000000_0', 1, 'over', 'success', 7, 1, 9e15, 2, '${JSON.stringify(compute({ task_id: 'x', workunit: '', app: { name: 'sieve', version: 1 }, input: { lo: 0, hi: 1e6 }, deadline_ms: 0, est_seconds: 1 }).output)}', 1);
        INSERT INTO result(id, name, workunit_id, server_state, host_id, sent_ms, deadline_ms) VALUES (2, 'sieve_0_1000000_1', 1, 'in_progress', 7, 1, 9e15);
      `);
      await old.close();

      const db = openSqliteDatabase(path);
      expect(await db.schemaVersion()).toBe(SQLITE_MIGRATIONS.length);
      expect(SQLITE_MIGRATIONS.length).toBe(3);
      expect(await db.all('SELECT id, user_id FROM result ORDER BY id')).toEqual([{ id: 1, user_id: 1 }, { id: 2, user_id: 1 }]);
      expect(await db.get('SELECT authenticator_hash FROM host WHERE id = 7')).toEqual({ authenticator_hash: null });
      const project = await WorkProject.open(db, { accountKey: ACCOUNT_KEY, rangeHi: 1e6, unitSpan: 1e6 });
      // nobody can claim the old host (it has no authenticator), not even with the account key
      await expect(project.schedule(sched({ host_id: 7, host_authenticator: '0'.repeat(64) }))).rejects.toThrow(/host 7 is unknown/);
      await expect(project.attach({ authenticator: ACCOUNT_KEY, host_id: 7, host_authenticator: '0'.repeat(64), host, client_version: '' })).resolves.toBeDefined();
      // … its in-progress task times out and is reissued; a new host finishes the workunit
      await db.run('UPDATE result SET deadline_ms = 0 WHERE id = 2');
      await project.runBackend();
      const fresh = await project.attach({ authenticator: ACCOUNT_KEY, host, client_version: '' });
      const [task] = (await project.schedule(sched(fresh, { work_req_seconds: 1 }))).tasks;
      expect(task.workunit).toBe('sieve_0_1000000');
      await project.schedule(sched(fresh, { results: [compute(task)] }));
      expect((await project.summary()).checks[0]).toEqual({ x: 1e6, known: 78_498, computed: 78_498, ok: true });
      await db.close();
      // opening again is a no-op
      const again = openSqliteDatabase(path);
      expect(await again.schemaVersion()).toBe(SQLITE_MIGRATIONS.length);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// sha256 of migration 1 as shipped (commit ebea6ec and before)
const V1_SHA256 = 'a5f7f84ea801bacfc05992c0a0c4a5e53c5700cb5147c7bda8fddae4f675c21f';
