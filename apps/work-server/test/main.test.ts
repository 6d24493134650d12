import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVER_JS = join(__dirname, '../../../dist/apps/work-server/main.js');

/** The built server's config errors and start-up (the test target builds it first). */
describe('work-server main', () => {
  const dir = mkdtempSync(join(tmpdir(), 'work-server-main-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    if (!existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run \`npx nx test work-server\` (it builds first)`);
  });
  const run = (env: Record<string, string>) => spawnSync(process.execPath, [SERVER_JS], { cwd: dir, env: { PATH: process.env['PATH'] ?? '', HTTP_PORT: '0', ...env }, encoding: 'utf8', timeout: 20_000 });

  it('exits 2 with one line naming the variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /^work-server: WORK_ACCOUNT_KEY \(or WORK_ACCOUNT_KEY_FILE\) is required and has no default\n$/],
      [{ WORK_ACCOUNT_KEY: 'k'.repeat(32), WORK_DATABASE_URL_FILE: join(dir, 'missing') }, /^work-server: cannot read WORK_DATABASE_URL_FILE=.*missing: ENOENT\n$/],
      [{ WORK_ACCOUNT_KEY: 'k'.repeat(32), WORK_DATABASE_URL_FILE: (writeFileSync(join(dir, 'mysql'), 'mysql://x@y/z\n'), join(dir, 'mysql')) }, /^work-server: WORK_DATABASE_URL_FILE must hold a postgres:\/\/ or postgresql:\/\/ URL\n$/],
      [{ WORK_ACCOUNT_KEY: 'k'.repeat(32), WORK_LEASE_MS: '10' }, /WORK_LEASE_MS/],
    ];
    for (const [env, stderr] of cases) {
      const r = run(env);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: expect.stringMatching(stderr) });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('starts on SQLite, logs JSON, and exits 0 on SIGTERM', async () => {
    const proc = spawn(process.execPath, [SERVER_JS], { cwd: dir, env: { PATH: process.env['PATH'] ?? '', HTTP_PORT: '0', WORK_ACCOUNT_KEY: 'k'.repeat(32), WORK_DB_PATH: join(dir, 'work.db') }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => proc.once('exit', r));
    const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let buf = '';
      proc.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n').slice(0, -1)) {
          const j = JSON.parse(line) as Record<string, unknown>;
          if (j['msg'] === 'work server listening') resolve(j);
        }
      });
      void exited.then((code) => reject(new Error(`exited ${code}`)));
    });
    expect(listening).toMatchObject({ db: `sqlite:${join(dir, 'work.db')}`, replica: expect.any(String) });
    const ready = await fetch(`http://127.0.0.1:${listening['port']}/readyz`);
    expect(ready.status).toBe(200);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
