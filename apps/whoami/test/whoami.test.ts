// The whoami app as it is started: a bad flag or environment value stops it with one clear line and exit code 2;
// a good one starts, answers, and stops cleanly on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';

jest.setTimeout(60_000);

const root = resolve(__dirname, '../../..');
const main = 'apps/whoami/src/main.ts';

describe('whoami configuration', () => {
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync('npx', ['tsx', main, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });

  it.each([
    [[], { WHOAMI_PORT_NUMBER: 'eighty' }, /^whoami: invalid port "eighty": expected a port number 0-65535$/],
    [[], { WHOAMI_DATA_MAX: 'lots' }, /^whoami: invalid WHOAMI_DATA_MAX="lots": expected a size like /],
    [[], { WHOAMI_ALLOW_ENV: 'maybe' }, /^whoami: invalid WHOAMI_ALLOW_ENV="maybe": expected true or false$/],
    [['--cert', 'x.pem'], {}, /^whoami: --cert and --key go together/],
    [['--no-such-flag'], {}, /^whoami: .*no-such-flag.* \(see --help\)$/],
  ])('%j %j stops the start with one clear line', (args, env, message) => {
    const r = run(args, env);
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.trim() && !/npm warn/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('a busy port stops the start with one clear line', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '0.0.0.0', done));
    try {
      const { port } = blocker.address() as AddressInfo;
      const r = run(['--port', String(port)], {});
      expect(r.status).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l.trim() && !/npm warn/.test(l));
      expect(lines).toEqual([`whoami: cannot listen on port ${port}: already in use`]);
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  });
});

describe('whoami start-up', () => {
  it('starts, answers as whoami, and exits 0 on SIGTERM', async () => {
    const free = createServer();
    await new Promise<void>((done) => free.listen(0, '127.0.0.1', done));
    const { port } = free.address() as AddressInfo;
    await new Promise((done) => free.close(done));

    // Run tsx directly (not through npx) so that SIGTERM reaches the app itself.
    const child = spawn(process.execPath, [resolve(root, 'node_modules/tsx/dist/cli.mjs'), main, '--name', 'app-test'], {
      cwd: root,
      env: { ...process.env, WHOAMI_PORT_NUMBER: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      let body: string | undefined;
      for (const deadline = Date.now() + 30_000; body === undefined; ) {
        if (Date.now() > deadline) throw new Error(`whoami did not answer within 30 s: ${stderr}`);
        body = await fetch(`http://127.0.0.1:${port}/hello`)
          .then((res) => (res.status === 200 ? res.text() : undefined))
          .catch(() => undefined);
        if (body === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(body).toMatch(/^Name: app-test\r?\n/);
      expect(body).toMatch(/GET \/hello HTTP\/1\.1/);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});
