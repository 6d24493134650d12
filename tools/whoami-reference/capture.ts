// Captures traefik/whoami's raw answers to the differential corpus (libs/whoami/src/testing/corpus.ts) into
// libs/whoami/test/reference/golden.json. It only *runs* a reference binary you built yourself (see README.md);
// nothing here fetches or builds it. The reference listens on every interface: run this in private network and
// UTS namespaces, so it is reachable from nowhere and its hostname is fixed:
//
//   unshare -n -u sh -c 'ip link set lo up && hostname whoami-ref && \
//     WHOAMI_REF=/tmp/whoami-ref/whoami npx tsx tools/whoami-reference/capture.ts'
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { corpus, normalise, runSteps } from '@livelab/whoami-core/testing';

const REF = process.env['WHOAMI_REF'];
const PORT = 18081;
export const REFERENCE_HOSTNAME = 'whoami-ref';

function fail(message: string): never {
  process.stderr.write(`capture: ${message}\n`);
  process.exit(2);
}

const waitForPort = async (port: number) => {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  fail(`the reference did not listen on ${port}`);
};

async function main() {
  if (!REF) fail('set WHOAMI_REF to the traefik/whoami binary');
  if (Object.keys(networkInterfaces()).some((i) => i !== 'lo')) fail('run me in a private network namespace (unshare -n): the reference listens on every interface');
  if (hostname() !== REFERENCE_HOSTNAME) fail(`run me in a UTS namespace with hostname ${REFERENCE_HOSTNAME} (unshare -u, hostname ${REFERENCE_HOSTNAME})`);
  const buildInfo = execFileSync('go', ['version', '-m', REF], { encoding: 'utf8' }).trim();
  const groups = [];
  for (const group of corpus) {
    const envArgs = group.env.map(([k, v]) => `${k}=${v}`);
    const proc = spawn('env', ['-i', ...envArgs, REF, '--port', String(PORT), ...group.args], { stdio: 'ignore' });
    await waitForPort(PORT);
    const cases = [];
    for (const c of group.cases) {
      const outcome = await runSteps(PORT, c.steps);
      cases.push({ ...c, received: normalise(outcome.received), closed: outcome.closed });
      process.stdout.write(`${group.name}/${c.name}: ${outcome.received.split('\r\n')[0]}${outcome.closed ? ' (closed)' : ''}\n`);
    }
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    groups.push({ name: group.name, args: group.args, env: group.env, cases });
  }
  const out = resolve(__dirname, '../../libs/whoami/test/reference/golden.json');
  const golden = {
    about:
      'Raw answers of traefik/whoami v1.11.0 to libs/whoami/src/testing/corpus.ts, normalised (dates, client ports) by raw-http.ts. ' +
      'Made by tools/whoami-reference/capture.ts; see tools/whoami-reference/README.md.',
    command: `unshare -n -u sh -c 'ip link set lo up && hostname ${REFERENCE_HOSTNAME} && WHOAMI_REF=${REF} npx tsx tools/whoami-reference/capture.ts'`,
    capturedAt: new Date().toISOString(),
    hostname: REFERENCE_HOSTNAME,
    ips: Object.values(networkInterfaces()).flatMap((a) => (a ?? []).map((x) => x.address)),
    reference: buildInfo.split('\n').map((l) => l.replace(/^\S*\/whoami-ref\/whoami:/, 'whoami:')),
    groups,
  };
  writeFileSync(out, `${JSON.stringify(golden, null, 1)}\n`);
  process.stdout.write(`wrote ${groups.reduce((n, g) => n + g.cases.length, 0)} cases to ${join('libs/whoami/test/reference', 'golden.json')}\n`);
}

void main();
