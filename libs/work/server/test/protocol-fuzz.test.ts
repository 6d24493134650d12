import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { silentLogger } from '@livelab/service-kit';
import { ERROR_CODES, weakKey, type AttachReply, type SchedulerReply } from '@livelab/work-protocol';
import { SqliteDatabase, startWorkServer, type WorkServerHandle } from '../src';
import { ACCOUNT_KEY, compute, dump, host, request as sched } from './helpers';

/**
 * Property tests of the work protocol's JSON against a real server over HTTP: random bodies, random bytes, and
 * valid requests with 1–3 mutations that each make them invalid or unauthenticated. Every answer must be a 4xx
 * with a known error code and a reason, never a 5xx, and the database must not change; the server stays up.
 * Seeded (FC_SEED overrides) and bounded: a few hundred requests per property, well under the 60 s limit.
 */
const TWO_64 = BigInt('18446744073709551616');
const SEED = Number(process.env['FC_SEED'] ?? 20_261_201);
const RUNS = 300;
jest.setTimeout(60_000);

type Json = unknown;
type Path = Array<string | number>;
interface Field { path: Path; required: boolean; bad: fc.Arbitrary<Json> }

const notString = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const notNumber = fc.oneof(fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const notObject = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
const notArray = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }));
const nonInteger = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x));
const intOutside = (min: number, max: number) =>
  fc.oneof(
    fc.maxSafeNat().map((n) => min - 1 - n),
    max < Number.MAX_SAFE_INTEGER ? fc.maxSafeNat().map((n) => Math.min(max + 1 + n, Number.MAX_SAFE_INTEGER)) : nonInteger,
    nonInteger,
    notNumber,
  );
const numOutside = (min: number, max: number) => fc.oneof(fc.double({ max: min, maxExcluded: true, noNaN: true, noDefaultInfinity: true }), fc.double({ min: max, minExcluded: true, noNaN: true, noDefaultInfinity: true }), notNumber);
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const badTaskId = fc.oneof(fc.constant(''), fc.string({ minLength: 129, maxLength: 140 }), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/^[A-Za-z0-9_.-]+$/.test(s)), notString);

function hostFields(prefix: Path): Field[] {
  return [
    { path: prefix, required: true, bad: notObject },
    { path: [...prefix, 'cores'], required: true, bad: intOutside(1, 4096) },
    { path: [...prefix, 'memory_mb'], required: true, bad: intOutside(0, 1 << 30) },
    { path: [...prefix, 'name'], required: false, bad: fc.oneof(notString, fc.string({ minLength: 129, maxLength: 140 })) },
    { path: [...prefix, 'numbers_per_second'], required: false, bad: numOutside(0, 1e13) },
  ];
}

function unknownKey(known: string[]) {
  return fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !known.includes(k) && k !== '__proto__');
}

/** A mutation that, applied to a valid request, makes it invalid (400) or unauthenticated (401). */
function mutation(fields: Field[], objects: Array<{ path: Path; keys: string[] }>) {
  return fc.oneof(
    fc.constantFrom(...fields.filter((f) => f.required)).map((f) => ({ op: 'drop' as const, path: f.path, value: undefined as Json })),
    fc.constantFrom(...fields).chain((f) => f.bad.map((value) => ({ op: 'set' as const, path: f.path, value }))),
    fc.constantFrom(...objects).chain((o) => fc.tuple(unknownKey(o.keys), fc.jsonValue({ maxDepth: 1 })).map(([k, value]) => ({ op: 'set' as const, path: [...o.path, k], value }))),
  );
}

function apply(body: Json, muts: Array<{ op: 'drop' | 'set'; path: Path; value: Json }>): Json {
  const copy = structuredClone(body) as Record<string | number, Json>;
  for (const m of muts) {
    let parent: Json = copy;
    for (const k of m.path.slice(0, -1)) parent = parent !== null && typeof parent === 'object' ? (parent as Record<string | number, Json>)[k] : undefined;
    // a parent an earlier mutation removed or replaced: that one already made the request invalid
    if (parent === null || typeof parent !== 'object') continue;
    const last = m.path[m.path.length - 1];
    if (m.op === 'drop') delete (parent as Record<string | number, Json>)[last];
    else Object.defineProperty(parent, last, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

describe('work protocol JSON, fuzzed over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'work-fuzz-'));
  let server: WorkServerHandle;
  let reader: SqliteDatabase;
  let url: string;
  let a: AttachReply;
  let b: AttachReply;
  let base: ReturnType<typeof sched>;
  const statuses = new Map<number, number>();

  async function post(path: string, body: Json, raw = false): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? Buffer.from(body as Uint8Array) : JSON.stringify(body) });
    const text = await res.text();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    try {
      return { status: res.status, json: JSON.parse(text) };
    } catch {
      return { status: res.status, json: { unparsable: text.slice(0, 100) } };
    }
  }

  /** The property every hostile request must satisfy. */
  async function refusedWithoutChange(path: string, body: Json, raw = false): Promise<void> {
    const before = await dump(reader);
    const res = await post(path, body, raw);
    const summary = { status: res.status >= 400 && res.status < 500 ? '4xx' : res.status, ...res.json };
    expect(summary).toEqual({ status: '4xx', error: expect.any(String), reason: expect.stringMatching(/\S/) });
    expect(ERROR_CODES).toContain(res.json['error']);
    expect(await dump(reader)).toBe(before);
  }

  beforeAll(async () => {
    server = await startWorkServer({
      database: { sqlitePath: join(dir, 'work.db') }, port: 0, host: '127.0.0.1', logger: silentLogger(), backendIntervalMs: 60_000,
      project: { accountKey: ACCOUNT_KEY, rangeHi: 1e6, unitSpan: 250_000, cushion: 4, attachBurst: 1000 },
    });
    url = `http://127.0.0.1:${server.port}`;
    reader = new SqliteDatabase(new Database(join(dir, 'work.db'), { readonly: true }));
    a = (await post('/v1/attach', { authenticator: ACCOUNT_KEY, host })).json as unknown as AttachReply;
    b = (await post('/v1/attach', { authenticator: weakKey(1, ACCOUNT_KEY), host })).json as unknown as AttachReply;
    const got = (await post('/v1/scheduler', sched(a, { work_req_seconds: 1 }))).json as unknown as SchedulerReply;
    expect(got.tasks.length).toBe(1);
    // a valid request reporting a's in-progress task: every mutation of it must be refused, so the task stays in progress
    base = sched(a, { work_req_seconds: 10, results: [compute(got.tasks[0])], in_progress: [] });
    statuses.clear();
  });
  afterAll(async () => {
    await reader?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('random JSON bodies on both endpoints', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/attach', '/v1/scheduler'), fc.jsonValue({ maxDepth: 4 }), (path, body) => refusedWithoutChange(path, body)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('random bytes as the body', async () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s)), fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v).slice(0, -1))));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/attach', '/v1/scheduler'), bytes, (path, body) => refusedWithoutChange(path, body, true)),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it('mutated scheduler requests (bad fields, missing fields, unknown fields, forged credentials, sum >= 2^64)', async () => {
    const r0: Path = ['results', 0];
    const fields: Field[] = [
      { path: ['authenticator'], required: true, bad: fc.oneof(notString, fc.string({ maxLength: 7 }), fc.string({ minLength: 257, maxLength: 300 }), fc.string({ minLength: 8, maxLength: 80 }).filter((s) => s !== ACCOUNT_KEY && s !== weakKey(1, ACCOUNT_KEY))) },
      { path: ['host_id'], required: true, bad: fc.oneof(intOutside(1, Number.MAX_SAFE_INTEGER), fc.integer({ min: 1 }).filter((id) => id !== a.host_id), fc.constant(b.host_id)) },
      { path: ['host_authenticator'], required: true, bad: fc.oneof(notString, hex64.filter((h) => h !== a.host_authenticator), fc.constant(b.host_authenticator), fc.string({ maxLength: 70 })) },
      ...hostFields(['host']),
      { path: ['work_req_seconds'], required: true, bad: numOutside(0, 30 * 86400) },
      { path: ['results'], required: true, bad: notArray },
      { path: [...r0, 'task_id'], required: true, bad: badTaskId },
      { path: [...r0, 'outcome'], required: true, bad: fc.oneof(notString, fc.string({ maxLength: 12 }).filter((s) => s !== 'success' && s !== 'client_error')) },
      { path: [...r0, 'elapsed_s'], required: true, bad: numOutside(0, 1e7) },
      { path: [...r0, 'output'], required: true, bad: notObject },
      { path: [...r0, 'output', 'count'], required: true, bad: intOutside(0, 2 ** 40) },
      { path: [...r0, 'output', 'sum'], required: true, bad: fc.oneof(notString, fc.bigInt({ min: TWO_64, max: BigInt(10) ** BigInt(20) - BigInt(1) }).map(String), fc.bigInt({ min: TWO_64, max: BigInt(10) ** BigInt(30) }).map(String), fc.bigInt({ min: BigInt(1), max: BigInt(10) ** BigInt(19) }).map((n) => `0${n}`), fc.string({ maxLength: 5 }).filter((s) => !/^(0|[1-9]\d*)$/.test(s))) },
      { path: [...r0, 'output', 'sha256'], required: true, bad: fc.oneof(notString, fc.string({ maxLength: 70 }).filter((s) => !/^[0-9a-f]{64}$/.test(s))) },
      { path: ['in_progress'], required: true, bad: fc.oneof(notArray, fc.array(badTaskId, { minLength: 1, maxLength: 3 })) },
    ];
    const objects = [
      { path: [], keys: Object.keys(base) },
      { path: ['host'], keys: Object.keys(host) },
      { path: r0, keys: ['task_id', 'outcome', 'output', 'elapsed_s'] },
      { path: [...r0, 'output'], keys: ['count', 'sum', 'sha256'] },
    ];
    const sumPath = [...r0, 'output', 'sum'];
    const examples: Array<[Array<{ op: 'drop' | 'set'; path: Path; value: Json }>]> = [
      // the old schema's hole: 20-digit sums from 2^64 up to 10^20 − 1
      [[{ op: 'set', path: sumPath, value: TWO_64.toString() }]],
      [[{ op: 'set', path: sumPath, value: '99999999999999999999' }]],
      // the impersonation of issue 11: another host's id, or its id with someone else's authenticator
      [[{ op: 'set', path: ['host_id'], value: b.host_id }]],
      [[{ op: 'set', path: ['host_authenticator'], value: b.host_authenticator }]],
    ];
    // one mutation at a time (every field gets hit), then up to three together
    await fc.assert(
      fc.asyncProperty(fc.tuple(mutation(fields, objects)), (muts) => refusedWithoutChange('/v1/scheduler', apply(base, muts))),
      { seed: SEED + 2, numRuns: 3 * RUNS, examples },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(fields, objects), { minLength: 2, maxLength: 3 }), (muts) => refusedWithoutChange('/v1/scheduler', apply(base, muts))),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });

  it('mutated attach requests', async () => {
    const attachBase = { authenticator: ACCOUNT_KEY, host_id: a.host_id, host_authenticator: a.host_authenticator, host, client_version: 'fuzz/1' };
    const fields: Field[] = [
      { path: ['authenticator'], required: true, bad: fc.oneof(notString, fc.string({ maxLength: 7 }), fc.string({ minLength: 8, maxLength: 80 }).filter((s) => s !== ACCOUNT_KEY && s !== weakKey(1, ACCOUNT_KEY))) },
      { path: ['host_id'], required: false, bad: intOutside(1, Number.MAX_SAFE_INTEGER) },
      { path: ['host_authenticator'], required: false, bad: fc.oneof(notString, fc.string({ maxLength: 70 }).filter((s) => !/^[0-9a-f]{64}$/.test(s))) },
      ...hostFields(['host']),
      { path: ['client_version'], required: false, bad: fc.oneof(notString, fc.string({ minLength: 65, maxLength: 80 })) },
    ];
    const objects = [
      { path: [], keys: Object.keys(attachBase) },
      { path: ['host'], keys: Object.keys(host) },
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(fields, objects), { minLength: 1, maxLength: 3 }), (muts) => refusedWithoutChange('/v1/attach', apply(attachBase, muts))),
      { seed: SEED + 4, numRuns: 2 * RUNS },
    );
  });

  it('the server is still up and the unmutated request still works', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    const ok = await post('/v1/scheduler', base);
    expect(ok.status).toBe(200);
    expect(ok.json['acks']).toEqual([base.results[0].task_id]);
  });
});
