import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase, WorkProject, type SqlDatabase } from './libs/work/server/src';
import { sieveRange } from './libs/work/sieve/src';
async function main() {
  const raw = openSqliteDatabase(join(mkdtempSync(join(tmpdir(), 'cnt-')), 'w.db'));
  let n = 0;
  const wrap = <T extends object>(o: T): T => new Proxy(o, { get: (t, k) => { const v = (t as any)[k]; if (['get', 'all', 'run'].includes(String(k))) return (...a: unknown[]) => { n++; return v.apply(t, a); }; if (k === 'transaction') return (fn: any) => { n += 2; return v.call(t, (tx: any) => fn(wrap(tx))); }; return typeof v === 'function' ? v.bind(t) : v; } });
  const db = wrap(raw) as SqlDatabase;
  const KEY = 'k'.repeat(32);
  const p = await WorkProject.open(db, { accountKey: KEY, rangeHi: 2 ** 40, unitSpan: 2000, cushion: 64, attachBurst: 1000 });
  const host = { name: 'b', cores: 1, memory_mb: 512, numbers_per_second: 2000 };
  const hs = [];
  for (let i = 0; i < 4; i++) hs.push(await p.attach({ authenticator: KEY, host, client_version: '' }));
  await p.generate();
  const last = new Map<number, any[]>();
  const counts: number[] = [];
  for (let round = 0; round < 40; round++) for (const h of hs) {
    n = 0;
    const reply = await p.schedule({ authenticator: KEY, host_id: h.host_id, host_authenticator: h.host_authenticator, host, work_req_seconds: 1, results: last.get(h.host_id) ?? [], in_progress: [] });
    counts.push(n);
    last.set(h.host_id, reply.tasks.map((t) => ({ task_id: t.task_id, outcome: 'success', output: sieveRange(t.input.lo, t.input.hi), elapsed_s: 0.001 })));
  }
  const tail = counts.slice(8);
  console.log('statements per RPC (incl. BEGIN/COMMIT): mean', (tail.reduce((a, b) => a + b, 0) / tail.length).toFixed(1), 'min', Math.min(...tail), 'max', Math.max(...tail));
}
void main();
