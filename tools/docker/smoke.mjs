#!/usr/bin/env node
// Image smoke test (CI): run every built image with --network host on free ports and check that it really works:
// /healthz answers; the packager accepts a publish from the generator image and serves a playlist; the work client
// attaches to the work server; whoami answers /bench; every process runs as uid 10001; a script in
// /docker-entrypoint.d/ ran. Expects DOCKER_HOST and the images (tools/docker/smoke.sh does both).
// Ends with "image smoke: N passed, N failed".
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const registry = process.env.IMAGE_REGISTRY || 'livelab';
const tag = process.env.IMAGE_TAG || version;
const image = (app) => `${registry}/${app}:${tag}`;
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok    ${name}`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL  ${name}: ${e.message.split('\n')[0]}`);
  }
}
async function until(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await sleep(500);
  }
}
const get = async (url, headers = {}) => {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
};

// A start-up script every container runs from /docker-entrypoint.d/ (as a ConfigMap would provide it).
const hooks = mkdtempSync(join(tmpdir(), 'livelab-hooks-'));
writeFileSync(join(hooks, '10-smoke.sh'), '#!/bin/sh\necho "smoke hook ran as $(id -u)"\n');
chmodSync(join(hooks, '10-smoke.sh'), 0o755);
chmodSync(hooks, 0o755);

const P = { packagerHttp: 18680, rtmp: 19680, generator: 18681, whoami: 18682, server: 18690, client: 18691 };
const KEY = 'smoke-publish-key-123';
const ACCOUNT = 'smoke-account-key-0123456789';
const CONTROL = 'smoke-control-password';
const containers = {
  packager: ['-e', `HTTP_PORT=${P.packagerHttp}`, '-e', `RTMP_PORT=${P.rtmp}`, '-e', `PUBLISH_KEY=${KEY}`, '-e', `HEALTH_PORT=${P.packagerHttp}`],
  generator: ['-e', `HTTP_PORT=${P.generator}`, '-e', `HEALTH_PORT=${P.generator}`, '-e', `PACKAGER_RTMP_URL=rtmp://127.0.0.1:${P.rtmp}/live`, '-e', `PUBLISH_KEY=${KEY}`, '-e', 'STREAMS=low-360p30'],
  whoami: ['-e', `WHOAMI_PORT_NUMBER=${P.whoami}`, '-e', `HEALTH_PORT=${P.whoami}`],
  'work-server': ['-e', `HTTP_PORT=${P.server}`, '-e', `HEALTH_PORT=${P.server}`, '-e', `WORK_ACCOUNT_KEY=${ACCOUNT}`, '-e', 'WORK_DB_PATH=/var/lib/livelab/work.db', '-e', 'WORK_REQUEST_DELAY_S=1'],
  'work-client': ['-e', `CONTROL_PORT=${P.client}`, '-e', `HEALTH_PORT=${P.client}`, '-e', `WORK_SERVER_URL=http://127.0.0.1:${P.server}`, '-e', `WORK_ACCOUNT_KEY=${ACCOUNT}`,
    '-e', `CONTROL_PASSWORD=${CONTROL}`, '-e', 'WORK_STATE_DIR=/var/lib/livelab/client', '-e', 'WORK_BACKOFF_MIN_MS=1000', '-e', 'WORK_BACKOFF_MAX_MS=5000'],
};
const health = { packager: P.packagerHttp, generator: P.generator, whoami: P.whoami, 'work-server': P.server, 'work-client': P.client };

try {
  for (const [app, env] of Object.entries(containers)) {
    docker('rm', '-f', `smoke-${app}`);
  }
} catch {
  /* none */
}
try {
  for (const [app, env] of Object.entries(containers)) {
    docker('run', '-d', '--name', `smoke-${app}`, '--network', 'host', '-v', `${hooks}:/docker-entrypoint.d:ro`, ...env, image(app));
    if (app === 'packager') await until('the packager', () => get(`http://127.0.0.1:${P.packagerHttp}/readyz`).then(() => true), 30_000);
    if (app === 'work-server') await until('the work server', () => get(`http://127.0.0.1:${P.server}/readyz`).then(() => true), 30_000);
  }
  for (const app of Object.keys(containers)) {
    await check(`${app}: /healthz answers`, () => until(`${app} /healthz`, () => get(`http://127.0.0.1:${health[app]}/healthz`).then((t) => t.includes('ok')), 30_000));
    await check(`${app}: runs as uid 10001`, async () => {
      const uid = docker('exec', `smoke-${app}`, 'id', '-u');
      if (uid !== '10001') throw new Error(`uid ${uid}`);
    });
    await check(`${app}: ran /docker-entrypoint.d/10-smoke.sh`, async () => {
      const logs = execFileSync('docker', ['logs', `smoke-${app}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const all = logs + execFileSync('sh', ['-c', `docker logs smoke-${app} 2>&1 >/dev/null`], { encoding: 'utf8' });
      if (!/smoke hook ran as 10001/.test(all)) throw new Error('no hook output in the logs');
    });
  }
  await check('packager: the generator image publishes and a playlist is served', async () => {
    await until('low-360p30 to be listed', async () => JSON.parse(await get(`http://127.0.0.1:${P.packagerHttp}/api/streams`)).streams.some((s) => s.name === 'low-360p30'), 60_000);
    const m3u8 = await get(`http://127.0.0.1:${P.packagerHttp}/live/low-360p30/media_0.m3u8`);
    if (!/#EXTINF/.test(m3u8)) throw new Error('playlist without segments');
    const page = await get(`http://127.0.0.1:${P.packagerHttp}/`);
    if (!/livelab/.test(page)) throw new Error('no player page');
  });
  await check('work-client: attaches to the work server', async () => {
    await until('attach', () => {
      const logs = execFileSync('sh', ['-c', 'docker logs smoke-work-client 2>&1'], { encoding: 'utf8' });
      return /attached to project/.test(logs);
    }, 60_000);
    const state = await get(`http://127.0.0.1:${P.client}/v1/state`, { Authorization: `Bearer ${CONTROL}` });
    if (!state.includes('host')) throw new Error('control API state without host');
  });
  await check('whoami: /bench answers 1', async () => {
    const t = await get(`http://127.0.0.1:${P.whoami}/bench`);
    if (t !== '1') throw new Error(`got ${t}`);
  });
  await check('packager: SIGTERM drains and exits 0 within 10 s', async () => {
    const started = Date.now();
    docker('stop', '-t', '10', 'smoke-packager');
    const code = docker('inspect', '-f', '{{.State.ExitCode}}', 'smoke-packager');
    if (code !== '0' || Date.now() - started > 10_000) throw new Error(`exit ${code} after ${Date.now() - started} ms`);
  });
  const sizes = Object.keys(containers).map((app) => `${app} ${docker('image', 'inspect', '-f', '{{.Size}}', image(app))}`);
  console.log(`image sizes (bytes): ${sizes.join(', ')}`);
} finally {
  for (const app of Object.keys(containers)) {
    try {
      docker('rm', '-f', `smoke-${app}`);
    } catch {
      /* gone */
    }
  }
  rmSync(hooks, { recursive: true, force: true });
}
const passed = results.filter(([, ok]) => ok).length;
console.log(`image smoke: ${passed} passed, ${results.length - passed} failed`);
process.exit(results.length && passed === results.length ? 0 : 1);
