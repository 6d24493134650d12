// Exploratory differential fuzzing: seeded random requests sent to a traefik/whoami reference binary and to our
// whoami side by side, normalised answers compared, mismatches printed. Not a test (CI has no Go): a way to look for
// differences the corpus does not yet cover. Same namespaces as capture.ts:
//
//   unshare -n -u sh -c 'ip link set lo up && hostname whoami-ref && \
//     WHOAMI_REF=/tmp/whoami-ref/whoami npx tsx tools/whoami-reference/diff-fuzz.ts [runs] [seed]'
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import fc from 'fast-check';
import { silentLogger } from '@livelab/service-kit';
import { createWhoamiServer } from '@livelab/whoami-core';
import { normalise, runSteps } from '@livelab/whoami-core/testing';

const REF = process.env['WHOAMI_REF'];
const REF_PORT = 18081;
const OUR_PORT = 18082;
const RUNS = Number(process.argv[2] ?? 300);
const SEED = Number(process.argv[3] ?? 13);

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/);
const pathChars = fc.constantFrom(...'/abcAZ09-._~%2f3F!$&()*+,;=:@[]'.split(''));
const request = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
  route: fc.constantFrom('/', '/api', '/data', '/health', '/bench', '/echo', '/x', '/api/', '/data/'),
  extraPath: fc.array(pathChars, { maxLength: 8 }).map((c) => c.join('')),
  query: fc.oneof(
    fc.constant(''),
    fc.constantFrom('?size=5', '?size=700', '?size=40000', '?size=3&unit=kb', '?size=100&attachment=true', '?size=9&attachment=t', '?wait=1ms', '?size=+3', '?x=1&x=2', '?a=%zz', '?'),
  ),
  proto: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'),
  headers: fc.array(
    fc.oneof(
      fc.tuple(token, fc.stringMatching(/^[ -~]{0,20}$/)),
      fc.tuple(fc.constantFrom('Range', 'Connection', 'Pragma', 'User-Agent', 'Accept', 'Cache-Control'), fc.constantFrom('bytes=0-9', 'bytes=-5', 'bytes=90-', 'bytes=3-2', 'close', 'keep-alive', 'no-cache', '', 'x')),
    ),
    { maxLength: 5 },
  ),
  body: fc.oneof(fc.constant(''), fc.constantFrom('503', '200', 'abc', '[]', ' 201 '), fc.stringMatching(/^[ -~]{0,30}$/), fc.integer({ min: 1500, max: 9000 }).map((n) => 'b'.repeat(n))),
  chunked: fc.boolean(),
  upgrade: fc.constantFrom(false, false, false, true),
  /** A second request on the same connection (no Connection: close on the first). */
  twice: fc.boolean(),
});

const waitForPort = async (port: number) => {
  for (let i = 0; i < 100; i++) {
    if (await new Promise<boolean>((r) => { const s = connect(port, '127.0.0.1', () => (s.destroy(), r(true))); s.on('error', () => r(false)); })) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
};

/** The chunk sizes of a chunked answer (where two answers differ only in their framing). */
function chunkSizes(text: string): string {
  const start = text.indexOf('\r\n\r\n');
  if (start < 0 || !/\r\nTransfer-Encoding: chunked\r\n/.test(text.slice(0, start + 2))) return '';
  const sizes: number[] = [];
  for (let p = start + 4; p < text.length; ) {
    const end = text.indexOf('\r\n', p);
    const n = parseInt(text.slice(p, end), 16);
    if (!(n > 0)) break;
    sizes.push(n);
    p = end + 2 + n + 2;
  }
  return ` chunks [${sizes.join(', ')}]`;
}

async function main() {
  if (!REF || hostname() !== 'whoami-ref' || Object.keys(networkInterfaces()).some((i) => i !== 'lo')) {
    process.stderr.write('diff-fuzz: run me as the header comment says (WHOAMI_REF, unshare -n -u, hostname whoami-ref)\n');
    process.exit(2);
  }
  const ref = spawn('env', ['-i', REF, '--port', String(REF_PORT)], { stdio: 'ignore' });
  const ours = createWhoamiServer({
    identity: { hostname: hostname(), ips: Object.values(networkInterfaces()).flatMap((a) => (a ?? []).map((x) => x.address)) },
    allowEnv: false, dataMaxBytes: 1024 ** 4, verbose: false, allowedOrigins: '', logger: silentLogger(), env: {},
  });
  ours.server.listen(OUR_PORT, '127.0.0.1');
  await waitForPort(REF_PORT);
  await waitForPort(OUR_PORT);
  let differences = 0;
  for (const r of fc.sample(request, { numRuns: RUNS, seed: SEED })) {
    const build = (last: boolean) => {
      const lines = [`${r.method} ${r.route}${r.extraPath}${r.query} ${r.proto}`, 'Host: fuzz.test', ...r.headers.map(([k, v]) => `${k}: ${v}`)];
      if (r.upgrade) lines.push('Upgrade: websocket', 'Connection: Upgrade');
      let body = r.body;
      if (r.body && r.chunked && r.proto === 'HTTP/1.1') {
        lines.push('Transfer-Encoding: chunked');
        body = `${r.body.length.toString(16)}\r\n${r.body}\r\n0\r\n\r\n`;
      } else if (r.body) lines.push(`Content-Length: ${r.body.length}`);
      if (last) lines.push('Connection: close');
      return `${lines.join('\r\n')}\r\n\r\n${body}`;
    };
    const head = r.method === 'HEAD';
    const steps = r.twice ? [{ send: build(false), head }, { send: build(true), head }] : [{ send: build(true), head }];
    const text = steps.map((x) => x.send).join('');
    const [a, b] = [await runSteps(REF_PORT, steps), await runSteps(OUR_PORT, steps)];
    // Both must leave /health at 200 for the next request.
    for (const port of [REF_PORT, OUR_PORT]) await runSteps(port, [{ send: 'POST /health HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\n200' }]);
    if (normalise(a.received) !== normalise(b.received) || a.closed !== b.closed) {
      differences++;
      const show = (o: { received: string; closed: boolean }) => `${JSON.stringify(normalise(o.received).slice(0, 700))}${o.closed ? ' (closed)' : ''}${chunkSizes(o.received)}`;
      process.stdout.write(`--- ${JSON.stringify(text.slice(0, 700))}\nreference: ${show(a)}\nours:      ${show(b)}\n`);
    }
  }
  process.stdout.write(`${differences} of ${RUNS} requests answered differently (seed ${SEED})\n`);
  ref.kill('SIGKILL');
  ours.server.close();
  ours.server.closeAllConnections();
}

void main();
