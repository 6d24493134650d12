// Issue 13: replays the differential corpus against our whoami and compares byte for byte with traefik/whoami
// v1.11.0's answers (golden.json, captured by tools/whoami-reference/capture.ts). Only dates and client ports are
// normalised; the hostname and IPs are the reference's own (its capture ran with hostname whoami-ref and only
// a loopback interface). Deliberate differences are marked in the corpus and checked here exactly.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { silentLogger } from '@livelab/service-kit';
import { createWhoamiServer, ENV_REFUSED, type WhoamiConfig, type WhoamiServer } from '../src';
import { normalise, runSteps, type Deliberate, type Step } from '../src/testing';

jest.setTimeout(60_000);

interface GoldenCase {
  name: string;
  steps: Step[];
  deliberate?: Deliberate;
  received: string;
  closed: boolean;
}
interface GoldenGroup {
  name: string;
  args: string[];
  env: Array<[string, string]>;
  cases: GoldenCase[];
}

const golden = JSON.parse(readFileSync(join(__dirname, 'reference/golden.json'), 'utf8')) as { hostname: string; ips: string[]; groups: GoldenGroup[] };

const servers: WhoamiServer[] = [];
afterAll(async () => {
  for (const w of servers) {
    w.websockets.close();
    w.server.closeAllConnections();
    await new Promise((r) => w.server.close(r));
  }
});

async function start(group: GoldenGroup, over: Partial<WhoamiConfig> = {}): Promise<number> {
  const env = Object.fromEntries(group.env);
  const name = group.args[group.args.indexOf('--name') + 1];
  const w = createWhoamiServer({
    identity: {
      hostname: golden.hostname,
      ips: golden.ips,
      name: group.args.includes('--name') ? name : undefined,
      node: env['NODE_NAME'],
      pod: env['POD_NAME'],
      namespace: env['POD_NAMESPACE'],
      podIp: env['POD_IP'],
    },
    allowEnv: false,
    dataMaxBytes: 1024 ** 4,
    verbose: false,
    allowedOrigins: '',
    logger: silentLogger(),
    env: group.env.length ? env : {},
    ...over,
  });
  servers.push(w);
  await new Promise<void>((r) => w.server.listen(0, '127.0.0.1', () => r()));
  return (w.server.address() as AddressInfo).port;
}

const groups = golden.groups;

it('the corpus has at least 60 cases', () => {
  expect(groups.reduce((n, g) => n + g.cases.length, 0)).toBeGreaterThanOrEqual(60);
});

/** Go's http.Error answer, as our refusals are written (the corpus' requests ask for Connection: close). */
const goErrorAnswer = (status: string, message: string, close: boolean) =>
  `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nDate: {{DATE}}\r\n` +
  `Content-Length: ${Buffer.byteLength(message) + 1}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${message}\n`;
const headOf = (text: string) => text.slice(0, text.indexOf('\r\n\r\n') + 4);

/** Insert the downward-API lines/fields into the reference's answer and fix its Content-Length. */
function withDownwardIdentity(golden: string, env: Record<string, string>): string {
  const body = golden.slice(golden.indexOf('\r\n\r\n') + 4);
  const ours = body.startsWith('{')
    ? body.replace(/}\n$/, `,"node":"${env['NODE_NAME']}","pod":"${env['POD_NAME']}","namespace":"${env['POD_NAMESPACE']}","podIP":"${env['POD_IP']}"}\n`)
    : body.replace('RemoteAddr: ', `Node: ${env['NODE_NAME']}\nPod: ${env['POD_NAMESPACE']}/${env['POD_NAME']}\nPodIP: ${env['POD_IP']}\nRemoteAddr: `);
  const added = ours.length - body.length; // ASCII only
  return headOf(golden).replace(/Content-Length: (\d+)/, (_m, n: string) => `Content-Length: ${Number(n) + added}`) + ours;
}

describe.each(groups.map((g) => [g.name, g] as const))('group %s', (_name, group) => {
  let port: number;
  beforeAll(async () => {
    port = await start(group);
  });
  const same = group.cases.filter((c) => !c.deliberate);
  const different = group.cases.filter((c) => c.deliberate);
  if (same.length)
    it.each(same.map((c) => [c.name, c] as const))('%s: byte for byte', async (_n, c) => {
      const ours = await runSteps(port, c.steps);
      expect(normalise(ours.received)).toBe(c.received);
      expect(ours.closed).toBe(c.closed);
    });
  if (different.length)
    it.each(different.map((c) => [c.name, c.deliberate, c] as const))('%s: differs on purpose (%s), exactly so', async (_n, kind, c) => {
      const ours = await runSteps(port, c.steps);
      const got = normalise(ours.received);
      switch (kind) {
        case 'env-refused-by-default': {
          expect(got).toBe(goErrorAnswer('403 Forbidden', ENV_REFUSED, true));
          // With --allow-env the answer is the reference's, byte for byte.
          const allowed = await runSteps(await start(group, { allowEnv: true }), c.steps);
          expect(normalise(allowed.received)).toBe(c.received);
          break;
        }
        case 'downward-identity': {
          expect(got).toBe(withDownwardIdentity(c.received, Object.fromEntries(group.env)));
          // Without the downward-API variables the answer is the reference's.
          const plain = await runSteps(await start({ ...group, env: [] }), c.steps);
          expect(normalise(plain.received)).toBe(c.received);
          break;
        }
        case 'health-range': {
          // The reference stored the code (POST answered 200); we refuse it and keep answering 200.
          expect(c.received.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
          const code = /\r\n\r\n(\w+)$/.exec(c.steps[0].send)?.[1];
          const value = code === 'null' ? 0 : Number(code);
          const refused = goErrorAnswer('400 Bad Request', `health status code must be from 200 to 599, got ${value}`, false);
          expect(got.startsWith(refused)).toBe(true);
          expect(got.slice(refused.length)).toMatch(/^HTTP\/1\.1 200 OK\r\nDate: \{\{DATE\}\}\r\nContent-Length: 0\r\n\r\n/);
          break;
        }
        case 'non-ascii-target':
          expect(c.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
          expect(got).toBe('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request');
          expect(ours.closed).toBe(true);
          break;
        case 'no-body-on-head':
          expect(c.received.length).toBeGreaterThan(headOf(c.received).length);
          expect(got).toBe(headOf(c.received));
          break;
        default:
          throw new Error(`unknown deliberate difference ${kind}`);
      }
    });
});
