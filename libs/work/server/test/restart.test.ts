import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@livelab/service-kit';
import { startWorkServer, type WorkServerHandle } from '../src';
import { ACCOUNT_KEY, compute, host, request as sched } from './helpers';

describe('server restart over real HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'work-restart-'));
  let server: WorkServerHandle | undefined;
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = () =>
    startWorkServer({ database: { sqlitePath: join(dir, 'work.db') }, port: 0, host: '127.0.0.1', logger: silentLogger(), project: { accountKey: ACCOUNT_KEY, rangeHi: 1e6, unitSpan: 5e5, cushion: 2 } });
  const post = async (s: WorkServerHandle, path: string, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${s.port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return res.json();
  };

  it('loses no acknowledged result', async () => {
    server = await start();
    const creds = await post(server, '/v1/attach', { authenticator: ACCOUNT_KEY, host });
    const reply = await post(server, '/v1/scheduler', sched(creds, { work_req_seconds: 1e6 }));
    expect(reply.tasks.length).toBe(2);
    const results = reply.tasks.map(compute);
    const ack = await post(server, '/v1/scheduler', sched(creds, { results }));
    expect(ack.acks).toHaveLength(2);
    await server.close();
    server = await start();
    const n = (await (await fetch(`http://127.0.0.1:${server.port}/v1/summary`)).json()).results;
    const success = n.filter((r: { outcome: string }) => r.outcome === 'success').reduce((a: number, r: { n: number }) => a + r.n, 0);
    expect(success).toBe(2);
    // the host id and its authenticator survive too
    const again = await post(server, '/v1/scheduler', sched(creds, { results }));
    expect(again.acks).toHaveLength(2);
  });
});
