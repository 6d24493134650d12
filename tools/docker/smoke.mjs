#!/usr/bin/env node
// Image smoke test, driven by the manifests (CI: tools/docker/smoke.sh). Renders k8s/overlays/office with the
// images of this build and runs every workload the way the kubelet would run its pod:
// - the rendered runAsUser/runAsGroup (+ fsGroup as a supplementary group), readOnlyRootFilesystem → --read-only,
//   capabilities drop ALL → --cap-drop ALL, allowPrivilegeEscalation false → no-new-privileges, seccomp
//   RuntimeDefault → Docker's default profile, limits → --memory/--cpus;
// - each emptyDir a tmpfs (sizeLimit), the PVC a host directory (group fsGroup, setgid), each Secret volume a
//   read-only directory of its items (root-owned, group fsGroup, the manifest's defaultMode), mounted where the
//   manifest mounts them; env with values, downward-API fields and the *_FILE variables exactly as rendered;
// - the init container's command first (the generator's waits until the packager listens), then the container;
//   readiness and liveness probed on the manifest's paths and ports; preStop run before SIGTERM.
// The pods share one network namespace (no bridge here; Service names resolve to it) except whoami, whose port
// would collide with the packager's and which talks to nobody. A few smoke-only settings make it fast on 2 cores
// (SMOKE_ENV below: one stream instead of four, small work units) — each is an env name its app reads.
// Then: the generator publishes into the packager and a playlist is served; the work client attaches with the
// weak key from its Secret and reports a result; the /docker-entrypoint.d semantics; ffmpeg features; image sizes.
// Then overlays/office-ha the same way: the work-postgres StatefulSet (our PostgreSQL image, its PVC, exec probes,
// preStop), three work-server replicas on it (smoke-only: replicas 2 and 3 on other ports, since the pods share
// one network namespace) and the work client; one replica holds the daemon lease, every replica sees the result.
// Env: SMOKE_OFFICE_HA=0 (skip the office-ha phase), IMAGE_REGISTRY (default livelab), IMAGE_TAG (default this checkout's build tag), KUBECTL.
// Ends with "image smoke: N passed, N failed".
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { imageTag, root } from './image-tag.mjs';

const started = Date.now();
const registry = process.env.IMAGE_REGISTRY || 'livelab';
const tag = imageTag();
const APPS = ['packager', 'generator', 'whoami', 'work-server', 'work-client'];
// images of the office-ha overlay on top of the apps' (k8s/components/postgres)
const HA_IMAGES = ['work-postgres'];
const image = (/** @type {string} */ app) => `${registry}/${app}:${tag}`;
const run = (/** @type {string} */ cmd, /** @type {string[]} */ args, /** @type {Omit<import('node:child_process').SpawnSyncOptions, 'encoding'>} */ opts = {}) =>
  spawnSync(cmd, args, { ...opts, encoding: 'utf8' });
const docker = (/** @type {string[]} */ ...args) => {
  const r = run('docker', args);
  if (r.status !== 0) throw new Error(`docker ${args.slice(0, 3).join(' ')}…: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return r.stdout.trim();
};
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** @type {Array<[string, boolean]>} */
const results = [];
/** @param {string} name @param {() => unknown} fn */
async function check(name, fn) {
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok    ${name}`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL  ${name}: ${/** @type {Error} */ (e).message.split('\n')[0]}`);
  }
}
/** @param {string} what @param {() => unknown} fn @param {number} [timeoutMs] */
async function until(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  /** @type {Error | undefined} */
  let last;
  for (;;) {
    let v;
    try {
      v = fn();
    } catch (e) {
      last = /** @type {Error} */ (e);
    }
    // A rejected promise is final (the container is gone); a thrown error is worth another try.
    if (v instanceof Promise) v = await v;
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${last.message.split('\n')[0]})` : ''}`);
    await sleep(500);
  }
}
const assert = (/** @type {unknown} */ ok, /** @type {string | undefined} */ message) => {
  if (!ok) throw new Error(message);
};

// ---- 1. Render the office and office-ha overlays with this build's images (a kustomization on top, as a user's
// pin would be).
const work = mkdtempSync(join(tmpdir(), 'livelab-smoke-'));
chmodSync(work, 0o755);
/** @param {string} overlay */
function render(overlay) {
  const dir = join(work, 'render', overlay.replace(/\W/g, '-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `resources:\n  - ${relative(dir, join(root, 'k8s', overlay))}\nimages:\n${[...APPS, ...HA_IMAGES].map((a) => `  - { name: livelab/${a}, newName: ${registry}/${a}, newTag: ${tag} }\n`).join('')}`,
  );
  return parseAllDocuments(execFileSync(process.env.KUBECTL || 'kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((d) => d.toJS()).filter(Boolean);
}
const RENDERS = { office: render('overlays/office'), 'office-ha': render('overlays/office-ha') };
let rendered = RENDERS.office;
const WORKLOAD_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet'];
const workload = (/** @type {string} */ name) => {
  const w = rendered.find((o) => WORKLOAD_KINDS.includes(o.kind) && o.metadata.name === name);
  if (!w) throw new Error(`no workload ${name} in the render`);
  return w;
};

// ---- 2. The Secrets, made as docs/deploy.md makes them; the weak key computed without any image.
const accountKey = randomBytes(24).toString('hex');
const weakKey = `1_${createHash('sha256').update(`${accountKey}:weak-key`).digest('hex')}`;
const controlPassword = randomBytes(16).toString('hex');
const databasePassword = randomBytes(16).toString('hex');
/** @type {Record<string, Record<string, string>>} */
const SECRETS = {
  'work-database': { password: databasePassword, url: `postgres://livelab:${databasePassword}@work-postgres:5432/livelab` },
  'livelab-publish-key': { 'publish-key': randomBytes(24).toString('hex') },
  'work-account': { 'account-key': accountKey, 'weak-key': weakKey },
  'work-control': { password: controlPassword },
};
// Smoke-only settings (not in the manifests): fast enough for 2 shared cores.
/** @type {Record<string, Record<string, string>>} */
const SMOKE_ENV = {
  generator: { STREAMS: 'low-360p30' },
  'work-server': { WORK_UNIT_SPAN: '2000000', WORK_REQUEST_DELAY_S: '1', WORK_BACKEND_INTERVAL_MS: '500' },
  'work-client': { WORK_BUF_MIN_S: '5', WORK_BUF_EXTRA_S: '5', WORK_BACKOFF_MIN_MS: '1000', WORK_BACKOFF_MAX_MS: '5000' },
};

// ---- 3. Pod spec → docker run arguments.
const quantity = {
  memory: (/** @type {string | number} */ q) => {
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(String(q));
    if (!m) throw new Error(`memory quantity ${q}`);
    const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[m[2]] ?? 1;
    return Math.round(Number(m[1]) * unit);
  },
  cpu: (/** @type {string | number} */ q) => (String(q).endsWith('m') ? Number(String(q).slice(0, -1)) / 1000 : Number(q)),
};
const FIELDS = (/** @type {string} */ pod) =>
  /** @type {Record<string, string>} */ ({ 'spec.nodeName': hostname(), 'metadata.name': `${pod}-smoke`, 'metadata.namespace': 'livelab', 'status.podIP': '127.0.0.1' });

/** docker run arguments for one container of a rendered workload (network arguments added by the caller). */
/** Rendered Kubernetes objects are plain parsed YAML: `any`. @param {any} w @param {any} c @param {string} name */
function containerArgs(w, c, name) {
  const pod = w.spec.template.spec;
  const psc = pod.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const user = sc.runAsUser ?? psc.runAsUser;
  const group = sc.runAsGroup ?? psc.runAsGroup;
  if ((sc.runAsNonRoot ?? psc.runAsNonRoot) && !(user > 0)) throw new Error(`${name}: runAsNonRoot without a non-zero runAsUser (the kubelet would refuse an image USER it cannot verify)`);
  const args = ['--name', name, '--user', `${user}:${group}`];
  if (psc.fsGroup !== undefined) args.push('--group-add', String(psc.fsGroup));
  if (sc.readOnlyRootFilesystem) args.push('--read-only');
  if ((sc.capabilities?.drop ?? []).includes('ALL')) args.push('--cap-drop', 'ALL');
  for (const cap of sc.capabilities?.add ?? []) args.push('--cap-add', cap);
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault') args.push('--security-opt', 'seccomp=unconfined');
  const limits = c.resources?.limits ?? {};
  if (limits.memory) args.push('--memory', String(quantity.memory(limits.memory)));
  if (limits.cpu) args.push('--cpus', String(Math.min(quantity.cpu(limits.cpu), availableParallelism())));
  // Volumes.
  for (const m of c.volumeMounts ?? []) {
    // a StatefulSet's volumeClaimTemplates: a claim named <template>-<pod>, emulated like a PVC
    const template = (w.spec.volumeClaimTemplates ?? []).find((/** @type {any} */ t) => t.metadata.name === m.name);
    const v = template ? { name: m.name, persistentVolumeClaim: { claimName: `${m.name}-${w.metadata.name}-0` } } : (pod.volumes ?? []).find((/** @type {any} */ x) => x.name === m.name);
    if (!v) throw new Error(`${name}: volumeMount ${m.name} has no volume`);
    if (v.emptyDir) {
      const size = v.emptyDir.sizeLimit ? `,size=${quantity.memory(v.emptyDir.sizeLimit)}` : '';
      args.push('--tmpfs', `${m.mountPath}:rw,nosuid,nodev${size},mode=${psc.fsGroup !== undefined ? '2777' : '1777'}`);
    } else if (v.persistentVolumeClaim) {
      const dir = join(work, 'pvc', v.persistentVolumeClaim.claimName);
      mkdirSync(dir, { recursive: true });
      chownSync(dir, 0, psc.fsGroup ?? 0);
      chmodSync(dir, 0o2775);
      args.push('-v', `${dir}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
    } else if (v.secret) {
      const data = SECRETS[v.secret.secretName];
      if (!data) throw new Error(`${name}: Secret ${v.secret.secretName} is not one docs/deploy.md creates`);
      const dir = join(work, 'secrets', `${w.metadata.name}-${v.name}`);
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o755);
      for (const item of v.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
        if (!(item.key in data)) throw new Error(`${name}: Secret ${v.secret.secretName} has no key ${item.key}`);
        const file = join(dir, item.path);
        writeFileSync(file, data[item.key]);
        chownSync(file, 0, psc.fsGroup ?? 0);
        chmodSync(file, item.mode ?? v.secret.defaultMode ?? 0o644);
      }
      args.push('-v', `${dir}:${m.mountPath}:ro`);
    } else throw new Error(`${name}: volume ${v.name} of a kind the smoke cannot emulate`);
  }
  // Environment.
  for (const e of c.env ?? []) {
    let value = e.value;
    const from = e.valueFrom;
    if (from?.fieldRef) value = FIELDS(w.metadata.name)[from.fieldRef.fieldPath];
    else if (from?.secretKeyRef) value = SECRETS[from.secretKeyRef.name]?.[from.secretKeyRef.key];
    if (value === undefined) throw new Error(`${name}: cannot resolve env ${e.name}`);
    args.push('-e', `${e.name}=${value}`);
  }
  // command replaces the image's ENTRYPOINT, args its CMD.
  if (c.command?.length) args.push('--entrypoint', c.command[0]);
  return { args, after: [...(c.command ?? []).slice(1), ...(c.args ?? [])], user, group, fsGroup: psc.fsGroup };
}

const POD_NET = 'smoke-pod-net';
/** @type {Record<string, any>} */
const started_ = {};
/** Start a workload's container (name smoke-<workload>) in the shared pod network, or its own. */
/** @param {string} wName @param {{ own?: boolean, extraEnv?: Record<string, string>, initIndex?: number, as?: string }} [opts] */
function startContainer(wName, { own = false, extraEnv = {}, initIndex, as } = {}) {
  const w = workload(wName);
  const pod = w.spec.template.spec;
  const c = initIndex === undefined ? pod.containers[0] : pod.initContainers[initIndex];
  const name = as ?? (initIndex === undefined ? `smoke-${wName}` : `smoke-${wName}-init-${c.name}`);
  const { args, after, user, group, fsGroup } = containerArgs(w, c, name);
  const env = Object.entries(extraEnv).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  docker('run', '-d', '--network', own ? 'none' : `container:${POD_NET}`, ...args, ...env, c.image, ...after);
  started_[name] = { w, c, user, group, fsGroup };
  return name;
}
const PROBE_JS = 'fetch(process.argv[1]).then(async r=>{process.stdout.write(r.status+"\\n"+await r.text())},e=>{process.stdout.write("000\\n"+e.message)})';
/** HTTP GET from inside a container's network namespace, as the kubelet (or a peer pod) would reach it. */
/** @param {string} container @param {string} url */
function get(container, url) {
  const r = run('docker', ['exec', container, 'node', '-e', PROBE_JS, url]);
  const [status, ...body] = (r.stdout || '000\n').split('\n');
  return { status: Number(status), body: body.join('\n') };
}
/** @param {any} c @param {string | number} port */
function portOf(c, port) {
  if (typeof port === 'number') return port;
  const p = (c.ports ?? []).find((/** @type {any} */ x) => x.name === port);
  if (!p) throw new Error(`probe port ${port} is not declared`);
  return p.containerPort;
}
/** @param {string} name @param {string} kind */
async function probe(name, kind) {
  const { c } = started_[name];
  const p = c[kind];
  if (p?.exec) {
    // as the kubelet runs an exec probe: the command inside the container, success = exit 0
    return until(`${name} ${kind} ${p.exec.command.join(' ')}`, () => {
      if (!running(name)) return Promise.reject(new Error(`${name} exited with ${exitCode(name)}`));
      const r = run('docker', ['exec', name, ...p.exec.command]);
      if (r.status === 0) return true;
      throw new Error(`exit ${r.status}: ${(r.stdout + r.stderr).trim().split('\n').pop()}`);
    }, 60_000);
  }
  if (p?.tcpSocket) {
    // from the shared network namespace (the image may have no node): a TCP connect to the port
    const port = portOf(c, p.tcpSocket.port);
    return until(`${name} ${kind} tcp ${port}`, () => {
      const r = run('docker', ['exec', POD_NET, 'node', '-e', `require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))`]);
      if (r.status === 0) return true;
      throw new Error(`no TCP connect to ${port}`);
    }, 60_000);
  }
  assert(p?.httpGet, `${kind} is not an httpGet, exec or tcpSocket probe`);
  const url = `http://127.0.0.1:${portOf(c, p.httpGet.port)}${p.httpGet.path}`;
  await until(`${name} ${kind} ${p.httpGet.path}`, () => {
    if (!running(name)) return Promise.reject(new Error(`${name} exited with ${exitCode(name)}`));
    const r = get(name, url);
    if (r.status >= 200 && r.status < 400) return true;
    throw new Error(`${url}: HTTP ${r.status} ${r.body.slice(0, 120)}`);
  }, 60_000);
}
const logs = (/** @type {string} */ name) => run('docker', ['logs', name]).stdout + run('docker', ['logs', name]).stderr;
const exitCode = (/** @type {string} */ name) => docker('inspect', '-f', '{{.State.ExitCode}}', name);
const running = (/** @type {string} */ name) => docker('inspect', '-f', '{{.State.Running}}', name) === 'true';

try {
  for (const n of docker('ps', '-aq', '--filter', 'name=^smoke-').split('\n').filter(Boolean)) docker('rm', '-f', n);

  // The Services the pods use resolve to the shared namespace: emulation is faithful only if a Service's port is
  // its pods' container port (else the test would pass against a manifest that breaks in the cluster).
  const hosts = /** @type {string[]} */ ([]);
  for (const r of Object.values(RENDERS))
    for (const s of r.filter((o) => o.kind === 'Service' && o.metadata.name !== 'whoami')) {
      const w = r.find((o) => WORKLOAD_KINDS.includes(o.kind) && Object.entries(s.spec.selector).every(([k, v]) => o.spec.template.metadata.labels[k] === v));
      for (const p of s.spec.ports)
        if (portOf(w.spec.template.spec.containers[0], p.targetPort ?? p.port) !== p.port)
          throw new Error(`Service ${s.metadata.name} maps port ${p.port} to another container port: the shared-namespace smoke cannot emulate it`);
      if (!hosts.includes(`${s.metadata.name}:127.0.0.1`)) hosts.push('--add-host', `${s.metadata.name}:127.0.0.1`);
    }
  docker('run', '-d', '--name', POD_NET, '--network', 'none', ...hosts, '--user', '10001:10001', '--read-only', '--cap-drop', 'ALL', '--entrypoint', 'sleep', image('whoami'), 'infinity');

  // ---- 4. Start the pods: the generator's init container first, so it has to wait for the packager.
  const init = startContainer('generator', { initIndex: 0 });
  await check('generator: the init container waits while the packager is not listening', async () => {
    await sleep(4000);
    assert(running(init), `init container exited early (code ${exitCode(init)}): ${logs(init).trim().split('\n').pop()}`);
    assert(/waiting for packager-rtmp:1935/.test(logs(init)), 'no "waiting" line from the init container');
  });
  startContainer('packager');
  await check('generator: the init container ends (exit 0) once the packager listens', async () => {
    await until('the init container to exit', () => !running(init), 60_000);
    assert(exitCode(init) === '0', `exit ${exitCode(init)}: ${logs(init).trim().split('\n').pop()}`);
  });
  startContainer('generator', { extraEnv: SMOKE_ENV.generator });
  startContainer('work-server', { extraEnv: SMOKE_ENV['work-server'] });
  startContainer('work-client', { extraEnv: SMOKE_ENV['work-client'] });
  startContainer('whoami', { own: true });

  for (const app of ['packager', 'generator', 'work-server', 'work-client', 'whoami']) {
    const name = `smoke-${app}`;
    await check(`${app}: readiness and liveness probes pass on the manifest's paths and ports`, async () => {
      try {
        await probe(name, 'readinessProbe');
        await probe(name, 'livenessProbe');
      } catch (e) {
        throw new Error(`${/** @type {Error} */ (e).message}; last log lines: ${logs(name).trim().split('\n').slice(-3).join(' | ')}`);
      }
    });
    await check(`${app}: runs as the rendered user, group and fsGroup, with a read-only root`, async () => {
      const { user, group, fsGroup } = started_[name];
      const id = docker('exec', name, 'sh', '-c', 'echo "$(id -u) $(id -g) $(id -G)"').split(' ');
      assert(id[0] === String(user) && id[1] === String(group), `uid/gid ${id[0]}/${id[1]}, rendered ${user}/${group}`);
      if (fsGroup !== undefined) assert(id.slice(2).includes(String(fsGroup)), `groups ${id.slice(2).join(',')} lack fsGroup ${fsGroup}`);
      const rootOpts = docker('exec', name, 'sh', '-c', "awk '$2 == \"/\" { print $4 }' /proc/mounts");
      assert(/^ro(,|$)/.test(rootOpts), `root filesystem mounted ${rootOpts}`);
      const caps = docker('exec', name, 'sh', '-c', "grep CapEff /proc/self/status | awk '{print $2}'");
      assert(/^0+$/.test(caps), `effective capabilities ${caps}`);
    });
  }

  await check('packager + generator: the generator publishes and a playlist with segments is served', async () => {
    await until('low-360p30 to be listed', () => JSON.parse(get('smoke-packager', 'http://127.0.0.1:8080/api/streams').body).streams.some((/** @type {{ name: string }} */ s) => s.name === 'low-360p30'), 90_000);
    await until('a playlist with segments', () => /#EXTINF/.test(get('smoke-packager', 'http://127.0.0.1:8080/live/low-360p30/media_0.m3u8').body), 60_000);
    assert(/livelab/.test(get('smoke-packager', 'http://127.0.0.1:8080/').body), 'no player page');
  });
  await check('packager: refuses a publish with the wrong key', async () => {
    const r = run('docker', ['exec', 'smoke-packager', 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'smptehdbars=size=320x180:rate=10', '-t', '3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'flv', 'rtmp://127.0.0.1:1935/live/intruder?key=wrong-key-123'], { timeout: 20_000 });
    const streams = JSON.parse(get('smoke-packager', 'http://127.0.0.1:8080/api/streams').body).streams.map((/** @type {{ name: string }} */ s) => s.name);
    assert(!streams.includes('intruder'), `a wrong key published (${streams.join(', ')}); ffmpeg exit ${r.status}`);
  });
  await check('work-client: attaches with the weak key from its Secret and reports a result', async () => {
    await until('attach', () => /attached to project/.test(logs('smoke-work-client')), 60_000);
    await until('a reported result', () => {
      const summary = JSON.parse(get('smoke-work-server', 'http://127.0.0.1:8090/v1/summary').body);
      return summary.results.some((/** @type {any} */ r) => r.outcome === 'success' || r.server_state === 'over');
    }, 120_000);
    const state = get('smoke-work-client', `http://127.0.0.1:8091/v1/state`);
    assert(state.status === 401 || state.status === 200, `control API: HTTP ${state.status}`);
    const r = run('docker', ['exec', 'smoke-work-client', 'node', '-e', `fetch('http://127.0.0.1:8091/v1/state',{headers:{Authorization:'Bearer ${controlPassword}'}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`]);
    assert(r.status === 0, 'the control API refuses the password from the Secret');
  });
  await check('whoami: answers in its own network namespace', async () => {
    const r = get('smoke-whoami', 'http://127.0.0.1:8080/');
    assert(r.status === 200 && r.body.includes('Hostname:'), `HTTP ${r.status}`);
  });
  for (const app of ['packager', 'whoami']) {
    await check(`${app}: preStop runs, then SIGTERM drains and exits 0 within terminationGracePeriodSeconds`, async () => {
      const { w, c } = started_[`smoke-${app}`];
      const grace = w.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      const t0 = Date.now();
      const pre = c.lifecycle?.preStop?.exec?.command;
      assert(pre, 'no preStop');
      const r = run('docker', ['exec', `smoke-${app}`, ...pre]);
      assert(r.status === 0, `preStop ${pre.join(' ')} failed: ${r.stderr.trim()}`);
      docker('stop', '-t', String(Math.max(1, grace - Math.ceil((Date.now() - t0) / 1000))), `smoke-${app}`);
      const code = exitCode(`smoke-${app}`);
      assert(code === '0' && Date.now() - t0 < grace * 1000, `exit ${code} after ${Date.now() - t0} ms (grace ${grace} s)`);
    });
  }

  // ---- 4b. office-ha: PostgreSQL (our image, as its StatefulSet runs it), three work-server replicas, the client.
  // SMOKE_OFFICE_HA=0 skips it (smoke.sh runs it for the first Node base only: the PostgreSQL image does not
  // depend on the Node base, and the work-server image is covered on both by the office phase).
  if (process.env.SMOKE_OFFICE_HA !== '0') {
    for (const n of ['smoke-work-server', 'smoke-work-client']) docker('rm', '-f', n);
    rendered = RENDERS['office-ha'];
    const haStart = Date.now();
    startContainer('work-postgres');
    const REPLICA_PORTS = [8090, 18092, 18093];
    let replicas = /** @type {string[]} */ ([]);
    for (const name of ['smoke-work-postgres', 'smoke-work-server-1']) {
      // the replicas after the database is ready (in the cluster a replica started earlier exits and is restarted)
      if (name === 'smoke-work-server-1')
        replicas = REPLICA_PORTS.map((port, i) =>
          startContainer('work-server', { as: `smoke-work-server-${i + 1}`, extraEnv: { ...SMOKE_ENV['work-server'], HTTP_PORT: String(port), WORK_LEASE_MS: '3000' } }),
        );
      await check(`office-ha ${name.slice(6)}: ${name.includes('postgres') ? 'startup, readiness (exec pg_isready) and liveness (tcp)' : 'readiness (/readyz: the database answers) and liveness'} probes pass`, async () => {
        try {
          if (started_[name].c.startupProbe) await probe(name, 'startupProbe');
          await probe(name, 'readinessProbe');
          await probe(name, 'livenessProbe');
        } catch (e) {
          throw new Error(`${/** @type {Error} */ (e).message}; last log lines: ${logs(name).trim().split('\n').slice(-3).join(' | ')}`);
        }
      });
    }
    await check('office-ha work-postgres: runs as the rendered user 999 with a read-only root and no capabilities; initdb made PGDATA on the volume', async () => {
      const { user, group } = started_['smoke-work-postgres'];
      const id = docker('exec', 'smoke-work-postgres', 'sh', '-c', 'echo "$(id -u) $(id -g)"');
      assert(id === `${user} ${group}`, `uid/gid ${id}, rendered ${user} ${group}`);
      const rootOpts = docker('exec', 'smoke-work-postgres', 'sh', '-c', "awk '$2 == \"/\" { print $4 }' /proc/mounts");
      assert(/^ro(,|$)/.test(rootOpts), `root filesystem mounted ${rootOpts}`);
      const caps = docker('exec', 'smoke-work-postgres', 'sh', '-c', "grep CapEff /proc/self/status | awk '{print $2}'");
      assert(/^0+$/.test(caps), `effective capabilities ${caps}`);
      assert(/initialised \/var\/lib\/postgresql\/data\/pgdata/.test(logs('smoke-work-postgres')), 'no initdb line in the log');
      // TCP clients need the password from the Secret
      const wrong = run('docker', ['exec', '-e', 'PGPASSWORD=wrong', 'smoke-work-postgres', 'psql', '-h', '127.0.0.1', '-U', 'livelab', '-d', 'livelab', '-tAc', 'SELECT 1']);
      assert(wrong.status !== 0 && /password authentication failed/.test(wrong.stderr), `a wrong password: exit ${wrong.status} ${wrong.stderr.trim()}`);
    });
    await check('office-ha work-server: 3 replicas on one database, /readyz on each, exactly one holds the daemon lease', async () => {
      const metric = (/** @type {number} */ port) => Number(/^work_server_daemon_lease_held(?:\{[^}]*\})? (\d)/m.exec(get('smoke-pod-net', `http://127.0.0.1:${port}/metrics`).body)?.[1] ?? NaN);
      for (const [i, port] of REPLICA_PORTS.entries())
        await until(`replica ${i + 1} ready`, () => {
          if (!running(replicas[i])) return Promise.reject(new Error(`exited ${exitCode(replicas[i])}: ${logs(replicas[i]).trim().split('\n').pop()}`));
          return get('smoke-pod-net', `http://127.0.0.1:${port}/readyz`).status === 200;
        }, 60_000);
      await until('one lease holder', () => REPLICA_PORTS.map(metric).filter((v) => v === 1).length === 1, 20_000);
    });
    startContainer('work-client', { extraEnv: SMOKE_ENV['work-client'] });
    await check('office-ha: the work client reports through replica 1, and replicas 2 and 3 show the stored result', async () => {
      await until('a reported result', () => {
        const summary = JSON.parse(get('smoke-pod-net', 'http://127.0.0.1:18093/v1/summary').body);
        return summary.results.some((/** @type {any} */ r) => r.server_state === 'over') && summary.hosts >= 1;
      }, 120_000);
      assert(JSON.parse(get('smoke-pod-net', 'http://127.0.0.1:18092/v1/summary').body).hosts >= 1, 'replica 2 sees no host');
    });
    await check('office-ha work-postgres: preStop (pg_ctl stop -m fast) ends it with exit 0 within terminationGracePeriodSeconds', async () => {
      const { w, c } = started_['smoke-work-postgres'];
      for (const n of [...replicas, 'smoke-work-client']) run('docker', ['rm', '-f', n]);
      const grace = w.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      const t0 = Date.now();
      const r = run('docker', ['exec', 'smoke-work-postgres', ...c.lifecycle.preStop.exec.command]);
      assert(r.status === 0, `preStop failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
      await until('postgres to exit', () => !running('smoke-work-postgres'), grace * 1000);
      assert(exitCode('smoke-work-postgres') === '0' && Date.now() - t0 < grace * 1000, `exit ${exitCode('smoke-work-postgres')} after ${Date.now() - t0} ms (grace ${grace} s)`);
    });
    console.log(`      office-ha phase: ${Math.round((Date.now() - haStart) / 1000)} s`);
    rendered = RENDERS.office;
  }

  // ---- 5. /docker-entrypoint.d: the official nginx image's semantics.
  const hooks = join(work, 'hooks');
  mkdirSync(hooks);
  chmodSync(hooks, 0o755);
  const hook = (/** @type {string} */ file, /** @type {string} */ text, /** @type {number} */ mode) => {
    writeFileSync(join(hooks, file), text);
    chmodSync(join(hooks, file), mode);
  };
  hook('10-port.envsh', 'export WHOAMI_PORT_NUMBER=18777\n', 0o755);
  hook('20-hello.sh', '#!/bin/sh\necho "hook ran as $(id -u), port $WHOAMI_PORT_NUMBER"\n', 0o755);
  hook('30-configmap.sh', '#!/bin/sh\necho "must not run"\n', 0o644);
  hook('40-notes.txt', 'not a hook\n', 0o755);
  const ro = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-v', `${hooks}:/docker-entrypoint.d:ro`];
  await check('entrypoint: starting the service sources *.envsh, runs *.sh, logs every file skipped', async () => {
    docker('run', '-d', '--name', 'smoke-hooks', '--network', 'none', ...ro, image('whoami'));
    await until('whoami on the port the .envsh exported', () => get('smoke-hooks', 'http://127.0.0.1:18777/healthz').status === 200, 30_000);
    const out = run('docker', ['logs', 'smoke-hooks']);
    for (const line of ['sourcing /docker-entrypoint.d/10-port.envsh', 'running /docker-entrypoint.d/20-hello.sh', 'ignoring /docker-entrypoint.d/30-configmap.sh: not executable', 'ignoring /docker-entrypoint.d/40-notes.txt'])
      assert(out.stderr.includes(line), `stderr lacks "${line}"`);
    assert(/hook ran as 10001, port 18777/.test(out.stdout), 'the .sh hook did not see the exported variable');
    assert(!/must not run/.test(out.stdout + out.stderr), 'a 0644 hook ran');
  });
  await check('entrypoint: a CLI subcommand runs without hooks (stdout is only its output: the weak key)', async () => {
    const r = run('docker', ['run', '--rm', '--network', 'none', ...ro, '-e', `WORK_ACCOUNT_KEY=${accountKey}`, image('work-server'), 'weak-key']);
    assert(r.status === 0, `exit ${r.status}: ${r.stderr.trim()}`);
    assert(r.stdout === `${weakKey}\n`, `stdout ${JSON.stringify(r.stdout.slice(0, 80))} is not the weak key computed without the image`);
    assert(!/docker-entrypoint/.test(r.stderr), 'hooks ran for a subcommand');
  });
  await check('entrypoint: `docker run IMAGE sh -c …` runs a shell, no hooks', async () => {
    const r = run('docker', ['run', '--rm', '--network', 'none', ...ro, image('packager'), 'sh', '-c', 'echo shell-ok']);
    assert(r.status === 0 && r.stdout === 'shell-ok\n' && !/docker-entrypoint/.test(r.stderr), `exit ${r.status}, stdout ${JSON.stringify(r.stdout)}, stderr ${r.stderr.trim()}`);
  });

  // ---- 6. What is inside the images.
  for (const app of ['packager', 'generator'])
    await check(`${app}: ffmpeg has libx264, aac, drawtext+freetype, flv/rtmp, dash/mp4, http (as the rendered user)`, async () => {
      const r = run('docker', ['run', '--rm', '--network', 'none', '--user', '10001:10001', ...ro, '--tmpfs', '/tmp', '--entrypoint', 'sh', image(app), '/usr/local/lib/livelab/check-ffmpeg.sh']);
      assert(r.status === 0, r.stderr.trim().split('\n').slice(-3).join(' | '));
    });
  await check('work-server: better-sqlite3 loads in the image’s own Node and opens a database', async () => {
    const r = run('docker', ['run', '--rm', '--network', 'none', '--user', '10001:10001', ...ro, image('work-server'), 'node', '/usr/local/lib/livelab/check-native.cjs']);
    assert(r.status === 0 && /opened a database/.test(r.stdout), (r.stdout + r.stderr).trim().split('\n').pop());
    console.log(`      ${r.stdout.trim()}`);
  });
  const sizes = [...APPS, ...HA_IMAGES].map((app) => `${app} ${Math.round(Number(docker('image', 'inspect', '-f', '{{.Size}}', image(app))) / 1e6)} MB`);
  console.log(`image sizes (${tag}): ${sizes.join(', ')}`);
} catch (e) {
  results.push(['setup', false]);
  console.log(`FAIL  setup: ${/** @type {Error} */ (e).message}`);
} finally {
  for (const n of run('docker', ['ps', '-aq', '--filter', 'name=^smoke-']).stdout.split('\n').filter(Boolean)) run('docker', ['rm', '-f', n]);
  rmSync(work, { recursive: true, force: true });
}
const passed = results.filter(([, ok]) => ok).length;
console.log(`image smoke (${tag}): ${passed} passed, ${results.length - passed} failed in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(results.length && passed === results.length ? 0 : 1);
