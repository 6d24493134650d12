// livelab's own rules for the rendered manifests. Each returns human-readable problems ("<Kind>/<name>: …").
import { appOfImage } from './consistency';
import type { K8sObject } from './render';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);
const id = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`;
const podSpec = (o: K8sObject): Json | undefined => (WORKLOADS.has(o.kind) ? (o as Json)['spec']?.template?.spec : undefined);
const containersOf = (o: K8sObject): Json[] => podSpec(o)?.containers ?? [];
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

export function selectorsMatchTemplates(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
    const spec = (o as Json)['spec'];
    if (!matches(spec?.selector?.matchLabels, spec?.template?.metadata?.labels)) out.push(`${id(o)}: selector does not match the pod template labels`);
  }
  for (const o of objs.filter((x) => x.kind === 'PodDisruptionBudget')) {
    const sel = (o as Json)['spec']?.selector?.matchLabels;
    if (!objs.some((w) => WORKLOADS.has(w.kind) && matches(sel, (w as Json)['spec']?.template?.metadata?.labels)))
      out.push(`${id(o)}: selects no workload`);
  }
  return out;
}

function portDeclared(c: Json, port: unknown): boolean {
  return (c['ports'] ?? []).some((p: Json) => p['name'] === port || p['containerPort'] === port);
}

export function containersAreHardened(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
    const pod = podSpec(o) ?? {};
    if (pod['securityContext']?.runAsNonRoot !== true) out.push(`${id(o)}: pod securityContext.runAsNonRoot must be true`);
    for (const c of [...(pod['initContainers'] ?? []), ...(pod['containers'] ?? [])] as Json[]) {
      const where = `${id(o)} container ${c['name']}`;
      const sc = c['securityContext'] ?? {};
      if (sc['allowPrivilegeEscalation'] !== false) out.push(`${where}: allowPrivilegeEscalation must be false`);
      if (sc['readOnlyRootFilesystem'] !== true) out.push(`${where}: readOnlyRootFilesystem must be true`);
      if (!(sc['capabilities']?.drop ?? []).includes('ALL')) out.push(`${where}: capabilities must drop ALL`);
      for (const kind of ['requests', 'limits'])
        for (const r of ['cpu', 'memory']) if (!c['resources']?.[kind]?.[r]) out.push(`${where}: resources.${kind}.${r} missing`);
      const image = String(c['image'] ?? '');
      const tag = /^[^@]+:([^/:@]+)$/.exec(image)?.[1];
      if (!image.includes('@') && (!tag || tag === 'latest')) out.push(`${where}: image "${image}" needs a fixed tag (not latest) or digest`);
    }
    for (const c of pod['containers'] ?? []) {
      const where = `${id(o)} container ${c['name']}`;
      for (const probe of ['livenessProbe', 'readinessProbe']) {
        const p = c[probe];
        if (!p) out.push(`${where}: ${probe} missing`);
        else {
          const port = p['httpGet']?.port ?? p['tcpSocket']?.port ?? p['grpc']?.port;
          if (port !== undefined && !portDeclared(c, port)) out.push(`${where}: ${probe} port ${port} is not a declared container port`);
        }
      }
    }
  }
  return out;
}

export function servicesTargetDeclaredPorts(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const s of objs.filter((x) => x.kind === 'Service')) {
    const sel = (s as Json)['spec']?.selector;
    const pods = objs.filter((w) => WORKLOADS.has(w.kind) && matches(sel, (w as Json)['spec']?.template?.metadata?.labels));
    if (!pods.length) {
      out.push(`${id(s)}: selects no pods`);
      continue;
    }
    for (const p of (s as Json)['spec']?.ports ?? []) {
      const target = p['targetPort'] ?? p['port'];
      if (!pods.every((w) => containersOf(w).some((c) => portDeclared(c, target)))) out.push(`${id(s)}: targetPort ${target} is not declared by the selected pods`);
    }
  }
  return out;
}

/** An init container's TCP wait: `wait-for-tcp.mjs <host> <port> <timeout s>` (the images' helper) or busybox `nc -z`. */
function tcpWait(c: Json): { host: string; port: string; timeoutS?: number } | undefined {
  const argv = [...(c['command'] ?? []), ...(c['args'] ?? [])].map(String);
  const i = argv.findIndex((a) => a.endsWith('/wait-for-tcp.mjs'));
  if (i >= 0) return { host: argv[i + 1], port: argv[i + 2], timeoutS: Number(argv[i + 3]) };
  const m = /nc\s+-z(?:\s+-w\s*\d+)?\s+([a-z0-9.-]+)\s+(\d+)/.exec(argv.join(' '));
  if (!m) return undefined;
  const tries = /seq (\d+)/.exec(argv.join(' '));
  return { host: m[1], port: m[2], timeoutS: tries ? Number(tries[1]) * 2 : undefined };
}

/** Init containers that wait for a TCP port must wait for a Service in the render, on a port it has, bounded. */
export function initContainersWaitForExistingServices(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
    for (const c of (podSpec(o)?.initContainers ?? []) as Json[]) {
      const wait = tcpWait(c);
      if (!wait) continue;
      const where = `${id(o)} init container ${c['name']}`;
      const host = wait.host.split('.')[0];
      const svc = objs.find((s) => s.kind === 'Service' && s.metadata.name === host);
      if (!svc) out.push(`${where}: waits for Service "${host}", which is not in the manifests`);
      else if (!((svc as Json)['spec']?.ports ?? []).some((p: Json) => String(p['port']) === wait.port)) out.push(`${where}: Service "${host}" has no port ${wait.port}`);
      if (!(wait.timeoutS !== undefined && wait.timeoutS > 0 && wait.timeoutS <= MAX_INIT_WAIT_S)) out.push(`${where}: the wait must be bounded (at most ${MAX_INIT_WAIT_S} s)`);
    }
  }
  return out;
}
const MAX_INIT_WAIT_S = 600;

/** The generator publishes only once the packager listens: it must have that (bounded) wait. */
export function generatorWaitsForPackager(objs: K8sObject[]): string[] {
  const gen = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'generator');
  if (!gen) return [];
  const waits = ((podSpec(gen)?.initContainers ?? []) as Json[]).map(tcpWait);
  return waits.some((w) => w?.host.split('.')[0] === 'packager-rtmp' && w.port === '1935')
    ? []
    : ['Deployment/generator: needs an init container that waits for packager-rtmp:1935'];
}

/** Every pod and container runs with the runtime's default seccomp profile. */
export function seccompIsRuntimeDefault(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
    const pod = podSpec(o) ?? {};
    const podProfile = pod['securityContext']?.seccompProfile?.type;
    for (const c of [...(pod['initContainers'] ?? []), ...(pod['containers'] ?? [])] as Json[]) {
      const profile = c['securityContext']?.seccompProfile?.type ?? podProfile;
      if (profile !== 'RuntimeDefault') out.push(`${id(o)} container ${c['name']}: seccompProfile must be RuntimeDefault (is ${profile ?? 'unset'})`);
    }
  }
  return out;
}

/** No pod gets an API token: none of livelab's services talks to the Kubernetes API. */
export function noServiceAccountTokens(objs: K8sObject[]): string[] {
  return objs
    .filter((o) => WORKLOADS.has(o.kind) && podSpec(o)?.['automountServiceAccountToken'] !== false)
    .map((o) => `${id(o)}: set automountServiceAccountToken: false`);
}

/** Pods behind a LoadBalancer wait a little in preStop, so endpoints and MetalLB drop them before they stop listening. */
export function loadBalancedPodsDelayStop(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const s of objs.filter((x) => x.kind === 'Service' && (x as Json)['spec']?.type === 'LoadBalancer')) {
    for (const w of objs.filter((x) => WORKLOADS.has(x.kind) && matches((s as Json)['spec']?.selector, (x as Json)['spec']?.template?.metadata?.labels))) {
      const grace = podSpec(w)?.['terminationGracePeriodSeconds'] ?? 30;
      for (const c of containersOf(w)) {
        const cmd = (c['lifecycle']?.preStop?.exec?.command ?? []).map(String);
        const sleepS = c['lifecycle']?.preStop?.sleep?.seconds ?? (cmd[0] === 'sleep' ? Number(cmd[1]) : NaN);
        if (!(sleepS >= 1 && sleepS <= 30)) out.push(`${id(w)} container ${c['name']}: behind LoadBalancer ${s.metadata.name}, needs a preStop sleep of 1-30 s`);
        else if (grace < sleepS + 5) out.push(`${id(w)}: terminationGracePeriodSeconds ${grace} leaves under 5 s to drain after the ${sleepS} s preStop sleep`);
      }
    }
  }
  return out;
}

/** Liveness and readiness must not be the same check: a not-ready pod (draining, dependency down) is not dead. */
export function livenessDiffersFromReadiness(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind)))
    for (const c of containersOf(o)) {
      const l = c['livenessProbe']?.httpGet?.path;
      const r = c['readinessProbe']?.httpGet?.path;
      if (l !== undefined && l === r) out.push(`${id(o)} container ${c['name']}: liveness and readiness both probe ${l}`);
    }
  return out;
}

/** A Deployment with a ReadWriteOnce volume must be Recreate with one replica: a surge pod could not mount it. */
export function rwoVolumeUsersRecreate(objs: K8sObject[]): string[] {
  const out: string[] = [];
  const rwo = new Set(objs.filter((o) => o.kind === 'PersistentVolumeClaim' && ((o as Json)['spec']?.accessModes ?? []).includes('ReadWriteOnce')).map((o) => o.metadata.name));
  for (const o of objs.filter((x) => x.kind === 'Deployment')) {
    const claims = ((podSpec(o)?.volumes ?? []) as Json[]).map((v) => v['persistentVolumeClaim']?.claimName).filter((c) => rwo.has(c));
    if (!claims.length) continue;
    const spec = (o as Json)['spec'];
    if (spec?.strategy?.type !== 'Recreate' || (spec?.replicas ?? 1) !== 1) out.push(`${id(o)}: mounts ReadWriteOnce ${claims.join(', ')}: use strategy Recreate and 1 replica`);
  }
  return out;
}

/** A PodDisruptionBudget over DaemonSet pods does nothing: `kubectl drain` skips them (--ignore-daemonsets). */
export function disruptionBudgetsCoverEvictablePods(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const pdb of objs.filter((x) => x.kind === 'PodDisruptionBudget')) {
    const sel = (pdb as Json)['spec']?.selector?.matchLabels;
    const covered = objs.filter((w) => WORKLOADS.has(w.kind) && matches(sel, (w as Json)['spec']?.template?.metadata?.labels));
    if (covered.length && covered.every((w) => w.kind === 'DaemonSet')) out.push(`${id(pdb)}: selects only DaemonSet pods, which a drain never evicts`);
  }
  return out;
}

const LIVELAB_APPS = new Set(['packager', 'generator', 'whoami', 'work-server', 'work-client', 'edge']);
const BUILD_TAG = /^\d+\.\d+\.\d+-[0-9a-f]{7,40}(-dirty\.\d{14})?$/;

/** livelab's own images name one build: <version>-<git sha> (tools/docker/image-tag.mjs) or a digest. */
export function imagesNameOneBuild(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind)))
    for (const c of [...(podSpec(o)?.['initContainers'] ?? []), ...containersOf(o)] as Json[]) {
      const image = String(c['image'] ?? '');
      const m = /^(?:.*\/)?([^/:@]+)(?::([^/:@]+))?(@sha256:[0-9a-f]{64})?$/.exec(image);
      if (!m || !LIVELAB_APPS.has(m[1]) || m[3]) continue;
      if (!m[2] || !BUILD_TAG.test(m[2])) out.push(`${id(o)} container ${c['name']}: image "${image}" must be tagged <version>-<git sha> (one build) or pinned by digest`);
    }
  return out;
}

export function metallbKeepsItsNamespace(objs: K8sObject[]): string[] {
  return objs
    .filter((o) => o.apiVersion.startsWith('metallb.io/'))
    .filter((o) => o.metadata.namespace !== 'metallb-system')
    .map((o) => `${id(o)}: MetalLB objects must be in metallb-system, not "${o.metadata.namespace ?? ''}"`);
}

const METALLB_FIELDS: Record<string, string[]> = {
  IPAddressPool: ['addresses', 'autoAssign', 'avoidBuggyIPs', 'serviceAllocation'],
  L2Advertisement: ['ipAddressPools', 'ipAddressPoolSelectors', 'nodeSelectors', 'interfaces'],
};

/** MetalLB CRDs are not in kubernetes-models: check them against MetalLB's v1beta1 fields here. */
export function metallbObjectsAreValid(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => x.apiVersion.startsWith('metallb.io/'))) {
    if (o.apiVersion !== 'metallb.io/v1beta1') out.push(`${id(o)}: use metallb.io/v1beta1`);
    const known = METALLB_FIELDS[o.kind];
    if (!known) {
      out.push(`${id(o)}: unexpected MetalLB kind`);
      continue;
    }
    for (const k of Object.keys(((o as Json)['spec'] ?? {}) as Json)) if (!known.includes(k)) out.push(`${id(o)}: unknown field spec.${k}`);
    if (o.kind === 'IPAddressPool' && !((o as Json)['spec']?.addresses ?? []).length) out.push(`${id(o)}: no addresses`);
  }
  return out;
}

const ipNumber = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
/** Does an IPv4 address lie in a MetalLB pool entry (`a.b.c.d-e.f.g.h` or a CIDR)? */
export function inAddressRange(ip: string, range: string): boolean {
  const x = ipNumber(ip);
  if (range.includes('-')) {
    const [lo, hi] = range.split('-').map((r) => ipNumber(r.trim()));
    return x >= lo && x <= hi;
  }
  const [base, bits] = range.split('/');
  const size = 2 ** (32 - Number(bits ?? 32));
  const start = Math.floor(ipNumber(base) / size) * size;
  return x >= start && x < start + size;
}

/**
 * Pinned LoadBalancer addresses (metallb.io/loadBalancerIPs) lie inside the pool the Service names, that pool exists
 * and does not auto-assign (else another LoadBalancer takes the address first), and no address is pinned twice.
 * Give it the app objects and MetalLB's.
 */
export function pinnedAddressesHaveTheirPool(objs: K8sObject[]): string[] {
  const out: string[] = [];
  const pools = new Map(objs.filter((o) => o.kind === 'IPAddressPool').map((o) => [o.metadata.name, (o as Json)['spec'] ?? {}]));
  const owner = new Map<string, string>();
  for (const s of objs.filter((x) => x.kind === 'Service')) {
    const ann = (s.metadata['annotations'] ?? {}) as Record<string, string>;
    const pinned = ann['metallb.io/loadBalancerIPs'];
    if (!pinned) continue;
    const poolName = ann['metallb.io/address-pool'];
    const pool = poolName ? pools.get(poolName) : undefined;
    if (!pool) out.push(`${id(s)}: pins ${pinned} but names no existing IPAddressPool (metallb.io/address-pool: ${poolName ?? 'unset'})`);
    else if (pool.autoAssign !== false) out.push(`${id(s)}: pool ${poolName} of pinned addresses must have autoAssign: false`);
    for (const ip of pinned.split(',').map((x) => x.trim())) {
      if (pool && !(pool.addresses ?? []).some((r: string) => inAddressRange(ip, r))) out.push(`${id(s)}: ${ip} is outside pool ${poolName} (${(pool.addresses ?? []).join(', ')})`);
      const first = owner.get(ip);
      if (first) out.push(`${id(s)}: ${ip} is already pinned by ${first}`);
      else owner.set(ip, id(s));
    }
  }
  return out;
}

// NetworkPolicy evaluation for pods of this namespace (podSelector peers; namespaceSelector / ipBlock peers are
// outside it). An empty selector selects every pod.
const selects = (selector: Json | undefined, labels: Record<string, string> | undefined) =>
  Object.entries((selector?.['matchLabels'] ?? {}) as Record<string, string>).every(([k, v]) => labels?.[k] === v);
const portAllowed = (ports: Json[] | undefined, port: number, name: string | undefined) =>
  !ports?.length || ports.some((p) => p['port'] === undefined || p['port'] === port || (name !== undefined && p['port'] === name));
type Pod = { name: string; labels: Record<string, string>; obj: K8sObject };
const podsOf = (objs: K8sObject[]): Pod[] =>
  objs.filter((o) => WORKLOADS.has(o.kind)).map((o) => ({ name: id(o), labels: (o as Json)['spec']?.template?.metadata?.labels ?? {}, obj: o }));
function allowed(objs: K8sObject[], direction: 'ingress' | 'egress', pod: Pod, peer: Pod | 'outside', port: number, portName?: string): boolean {
  const type = direction === 'ingress' ? 'Ingress' : 'Egress';
  const policies = objs.filter((o) => o.kind === 'NetworkPolicy' && selects((o as Json)['spec']?.podSelector, pod.labels) && ((o as Json)['spec']?.policyTypes ?? ['Ingress']).includes(type));
  if (!policies.length) return true; // not isolated in this direction
  return policies.some((np) =>
    (((np as Json)['spec']?.[direction] ?? []) as Json[]).some((rule) => {
      const peers = rule[direction === 'ingress' ? 'from' : 'to'] as Json[] | undefined;
      const peerOk = !peers?.length || (peer !== 'outside' && peers.some((p) => p['podSelector'] && !p['namespaceSelector'] && !p['ipBlock'] && selects(p['podSelector'], peer.labels)));
      return peerOk && portAllowed(rule['ports'], port, portName);
    }),
  );
}

const envValue = (c: Json, name: string): string | undefined => ((c['env'] ?? []) as Json[]).find((e) => e['name'] === name)?.['value'];

/** The connections livelab's manifests imply: every init-container wait, every env URL naming a Service, an edge's origin. */
function impliedConnections(objs: K8sObject[]): Array<{ from: K8sObject; service: string; port: number }> {
  const out: Array<{ from: K8sObject; service: string; port: number }> = [];
  const services = new Set(objs.filter((o) => o.kind === 'Service').map((o) => o.metadata.name));
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
    const pod = podSpec(o) ?? {};
    for (const c of (pod['initContainers'] ?? []) as Json[]) {
      const wait = tcpWait(c);
      if (wait && services.has(wait.host.split('.')[0])) out.push({ from: o, service: wait.host.split('.')[0], port: Number(wait.port) });
    }
    for (const c of (pod['containers'] ?? []) as Json[]) {
      for (const e of (c['env'] ?? []) as Json[]) {
        const m = /^[a-z]+:\/\/([a-z0-9-]+)(?:\.[a-z0-9.-]+)?:(\d+)/.exec(String(e['value'] ?? ''));
        if (m && services.has(m[1])) out.push({ from: o, service: m[1], port: Number(m[2]) });
      }
      // The edge names its origin as ORIGIN_HOST + ORIGIN_PORT (docker/edge/entrypoint.sh).
      const host = String(envValue(c, 'ORIGIN_HOST') ?? '').split('.')[0];
      if (host && services.has(host)) out.push({ from: o, service: host, port: Number(envValue(c, 'ORIGIN_PORT') ?? 8080) });
    }
  }
  return out;
}

/**
 * NetworkPolicies: the namespace denies by default, every pod may resolve names, every Service port is open to
 * someone, and every connection the manifests imply (init waits, env URLs) is allowed at both ends.
 */
export function networkPoliciesAllowWhatIsUsed(objs: K8sObject[]): string[] {
  const out: string[] = [];
  const nps = objs.filter((o) => o.kind === 'NetworkPolicy');
  const isDefaultDeny = (np: K8sObject) => {
    const spec = (np as Json)['spec'] ?? {};
    return !Object.keys(spec.podSelector ?? {}).length && ['Ingress', 'Egress'].every((t) => (spec.policyTypes ?? []).includes(t)) && !spec.ingress?.length && !spec.egress?.length;
  };
  if (!nps.some(isDefaultDeny)) out.push('NetworkPolicy: no default-deny policy (podSelector {}, policyTypes Ingress and Egress, no rules)');
  const dns = nps.some((np) => {
    const spec = (np as Json)['spec'] ?? {};
    return !Object.keys(spec.podSelector ?? {}).length && ((spec.egress ?? []) as Json[]).some((r) => ((r['ports'] ?? []) as Json[]).some((p) => p['port'] === 53 && p['protocol'] === 'UDP'));
  });
  if (!dns) out.push('NetworkPolicy: no policy lets every pod reach DNS (egress UDP 53)');
  const pods = podsOf(objs);
  for (const s of objs.filter((x) => x.kind === 'Service')) {
    for (const target of pods.filter((p) => matches((s as Json)['spec']?.selector, p.labels)))
      for (const sp of ((s as Json)['spec']?.ports ?? []) as Json[]) {
        const tp = sp['targetPort'] ?? sp['port'];
        const decl = containersOf(target.obj).flatMap((c) => (c['ports'] ?? []) as Json[]).find((p) => p['name'] === tp || p['containerPort'] === tp);
        if (!decl) continue; // servicesTargetDeclaredPorts reports it
        const reachable = [...pods, 'outside' as const].some((peer) => allowed(objs, 'ingress', target, peer, decl['containerPort'], decl['name']));
        if (!reachable) out.push(`${id(s)}: port ${sp['port']} → ${target.name} is closed to everyone by NetworkPolicy`);
      }
  }
  for (const conn of impliedConnections(objs)) {
    const svc = objs.find((o) => o.kind === 'Service' && o.metadata.name === conn.service) as Json;
    const sp = ((svc['spec']?.ports ?? []) as Json[]).find((p) => p['port'] === conn.port);
    const from = pods.find((p) => p.obj === conn.from) as Pod;
    for (const target of pods.filter((p) => matches(svc['spec']?.selector, p.labels))) {
      const tp = sp?.['targetPort'] ?? conn.port;
      const decl = containersOf(target.obj).flatMap((c) => (c['ports'] ?? []) as Json[]).find((p) => p['name'] === tp || p['containerPort'] === tp);
      const port = decl?.['containerPort'] ?? conn.port;
      if (!allowed(objs, 'egress', from, target, port, decl?.['name'])) out.push(`${from.name} → ${conn.service}:${conn.port}: egress to ${target.name} port ${port} is not allowed`);
      if (!allowed(objs, 'ingress', target, from, port, decl?.['name'])) out.push(`${from.name} → ${conn.service}:${conn.port}: ${target.name} does not admit it on port ${port}`);
    }
  }
  return out;
}

const appOf = (c: Json) => appOfImage(String(c['image'] ?? ''));
const envOf = (c: Json, name: string): Json | undefined => ((c['env'] ?? []) as Json[]).find((e) => e['name'] === name);
const spreadsOverNodes = (pod: Json) =>
  ((pod['topologySpreadConstraints'] ?? []) as Json[]).some((t) => t['topologyKey'] === 'kubernetes.io/hostname') ||
  [...(pod['affinity']?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []), ...(pod['affinity']?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w: Json) => w['podAffinityTerm'])].some(
    (t: Json) => t?.['topologyKey'] === 'kubernetes.io/hostname',
  );

/**
 * Several work-server replicas share one PostgreSQL database (WORK_DATABASE_URL_FILE): never a volume (a SQLite file
 * on a ReadWriteOnce claim would be one writer per node at best, a corrupt database at worst), rolled out without a
 * gap (not Recreate), spread over the nodes, with a PodDisruptionBudget.
 */
export function workServerReplicasShareADatabase(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => x.kind === 'Deployment' && containersOf(x).some((c) => appOf(c) === 'work-server'))) {
    const spec = (o as Json)['spec'];
    if ((spec?.replicas ?? 1) <= 1) continue;
    const pod = podSpec(o) ?? {};
    const server = containersOf(o).find((c) => appOf(c) === 'work-server') as Json;
    if (!envOf(server, 'WORK_DATABASE_URL_FILE')) out.push(`${id(o)}: ${spec.replicas} replicas need a shared database: set WORK_DATABASE_URL_FILE (PostgreSQL)`);
    for (const v of ((pod['volumes'] ?? []) as Json[]).filter((x) => x['persistentVolumeClaim']))
      out.push(`${id(o)}: ${spec.replicas} replicas must not mount PersistentVolumeClaim ${v['persistentVolumeClaim'].claimName} (the database is PostgreSQL)`);
    if (spec?.strategy?.type === 'Recreate') out.push(`${id(o)}: ${spec.replicas} replicas on PostgreSQL roll out with RollingUpdate, not Recreate`);
    if (!spreadsOverNodes(pod)) out.push(`${id(o)}: ${spec.replicas} replicas must spread over nodes (topologySpreadConstraints on kubernetes.io/hostname)`);
    const labels = spec?.template?.metadata?.labels;
    if (!objs.some((b) => b.kind === 'PodDisruptionBudget' && matches((b as Json)['spec']?.selector?.matchLabels, labels))) out.push(`${id(o)}: ${spec.replicas} replicas need a PodDisruptionBudget`);
  }
  return out;
}

/** A PodDisruptionBudget that allows no eviction (minAvailable ≥ replicas, maxUnavailable 0) blocks every drain. */
export function disruptionBudgetsLeaveRoom(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const pdb of objs.filter((x) => x.kind === 'PodDisruptionBudget')) {
    const spec = (pdb as Json)['spec'] ?? {};
    const covered = objs.filter((w) => (w.kind === 'Deployment' || w.kind === 'StatefulSet') && matches(spec.selector?.matchLabels, (w as Json)['spec']?.template?.metadata?.labels));
    if (!covered.length) continue;
    const replicas = covered.reduce((n, w) => n + ((w as Json)['spec']?.replicas ?? 1), 0);
    const min = spec.minAvailable;
    const maxUn = spec.maxUnavailable;
    const minCount = typeof min === 'string' && min.endsWith('%') ? Math.ceil((replicas * Number(min.slice(0, -1))) / 100) : min;
    if (minCount !== undefined && minCount >= replicas) out.push(`${id(pdb)}: minAvailable ${min} of ${replicas} replicas lets no pod be evicted (a drain never ends)`);
    if (maxUn === 0 || maxUn === '0%') out.push(`${id(pdb)}: maxUnavailable ${maxUn} lets no pod be evicted (a drain never ends)`);
  }
  return out;
}

/** Every `*_FILE` variable names a file of a Secret volume mounted in that container (the Secret's keys as files). */
export function fileVariablesNameMountedSecrets(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
    const volumes = new Map(((podSpec(o)?.['volumes'] ?? []) as Json[]).map((v) => [v['name'], v]));
    for (const c of [...(podSpec(o)?.['initContainers'] ?? []), ...containersOf(o)] as Json[])
      for (const e of ((c['env'] ?? []) as Json[]).filter((x) => /_FILE$/.test(x['name']) && typeof x['value'] === 'string')) {
        const where = `${id(o)} container ${c['name']}: ${e['name']}=${e['value']}`;
        const mount = ((c['volumeMounts'] ?? []) as Json[]).find((m) => String(e['value']).startsWith(`${String(m['mountPath']).replace(/\/$/, '')}/`));
        const secret = mount ? volumes.get(mount['name'])?.secret : undefined;
        if (!mount || !secret) {
          out.push(`${where} is not in a mounted Secret volume`);
          continue;
        }
        const file = String(e['value']).slice(String(mount['mountPath']).replace(/\/$/, '').length + 1);
        if (secret.items?.length && !(secret.items as Json[]).some((i) => i['path'] === file)) out.push(`${where}: Secret volume ${mount['name']} has no file ${file}`);
        if (mount['readOnly'] !== true) out.push(`${where}: mount the Secret readOnly`);
      }
  }
  return out;
}

/** Does an ingress rule admit peers of other namespaces or addresses (namespaceSelector, ipBlock) on this port? */
const admitsOtherNamespaces = (objs: K8sObject[], pod: Pod, port: number, name: string | undefined) =>
  objs
    .filter((o) => o.kind === 'NetworkPolicy' && selects((o as Json)['spec']?.podSelector, pod.labels))
    .some((np) => (((np as Json)['spec']?.ingress ?? []) as Json[]).some((r) => portAllowed(r['ports'], port, name) && ((r['from'] ?? []) as Json[]).some((p) => p['namespaceSelector'] || p['ipBlock'])));

/**
 * PostgreSQL in the namespace (a Service on 5432) is reached by the work servers that use it and by nobody else:
 * both ends of work-server → database are allowed, every other pod and everything outside is refused.
 */
export function databaseReachableOnlyByWorkServer(objs: K8sObject[]): string[] {
  const out: string[] = [];
  const pods = podsOf(objs);
  const users = pods.filter((p) => containersOf(p.obj).some((c) => appOf(c) === 'work-server' && envOf(c, 'WORK_DATABASE_URL_FILE')));
  for (const s of objs.filter((x) => x.kind === 'Service' && (((x as Json)['spec']?.ports ?? []) as Json[]).some((p) => p['port'] === 5432))) {
    for (const db of pods.filter((p) => matches((s as Json)['spec']?.selector, p.labels))) {
      const decl = containersOf(db.obj).flatMap((c) => (c['ports'] ?? []) as Json[]).find((p) => p['containerPort'] === 5432);
      for (const u of users) {
        if (!allowed(objs, 'egress', u, db, 5432, decl?.['name'])) out.push(`${u.name} → ${s.metadata.name}:5432: egress to ${db.name} is not allowed`);
        if (!allowed(objs, 'ingress', db, u, 5432, decl?.['name'])) out.push(`${u.name} → ${s.metadata.name}:5432: ${db.name} does not admit it`);
      }
      for (const other of pods.filter((p) => p !== db && !users.includes(p)))
        if (allowed(objs, 'ingress', db, other, 5432, decl?.['name'])) out.push(`${id(s)}: ${db.name} admits ${other.name} on 5432 (only the work servers may connect)`);
      if (allowed(objs, 'ingress', db, 'outside', 5432, decl?.['name']) || admitsOtherNamespaces(objs, db, 5432, decl?.['name']))
        out.push(`${id(s)}: ${db.name} admits connections from outside the namespace on 5432 (only the work servers may connect)`);
    }
  }
  return out;
}

/** Background work (a PriorityClass with a negative value) never preempts; pods name PriorityClasses that exist. */
export function priorityClassesExist(objs: K8sObject[]): string[] {
  const out: string[] = [];
  const classes = new Map(objs.filter((o) => o.kind === 'PriorityClass').map((o) => [o.metadata.name, o as Json]));
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
    const name = podSpec(o)?.['priorityClassName'];
    if (name && !classes.has(name) && !name.startsWith('system-')) out.push(`${id(o)}: PriorityClass ${name} is not in the manifests`);
  }
  for (const [name, pc] of classes) if (pc['value'] < 0 && pc['preemptionPolicy'] !== 'Never') out.push(`PriorityClass/${name}: background work must not preempt (preemptionPolicy: Never)`);
  return out;
}

export function noCommittedSecrets(objs: K8sObject[]): string[] {
  return objs.filter((o) => o.kind === 'Secret').map((o) => `${id(o)}: Secrets are created by hand (docs/deploy.md), never committed`);
}

export function updatesAreSafe(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => x.kind === 'Deployment' || x.kind === 'DaemonSet')) {
    const spec = (o as Json)['spec'];
    const strategy = o.kind === 'Deployment' ? spec?.strategy : spec?.updateStrategy;
    if (strategy?.type === 'Recreate') continue; // single-writer workloads (SQLite volume, one publisher per stream)
    if (strategy?.type !== 'RollingUpdate' || strategy.rollingUpdate?.maxUnavailable !== 0 || strategy.rollingUpdate?.maxSurge !== 1)
      out.push(`${id(o)}: use RollingUpdate with maxUnavailable 0 and maxSurge 1 (or Recreate for a single writer)`);
  }
  return out;
}

export const ALL_RULES = {
  selectorsMatchTemplates,
  containersAreHardened,
  servicesTargetDeclaredPorts,
  initContainersWaitForExistingServices,
  generatorWaitsForPackager,
  seccompIsRuntimeDefault,
  noServiceAccountTokens,
  loadBalancedPodsDelayStop,
  livenessDiffersFromReadiness,
  rwoVolumeUsersRecreate,
  disruptionBudgetsCoverEvictablePods,
  imagesNameOneBuild,
  pinnedAddressesHaveTheirPool,
  networkPoliciesAllowWhatIsUsed,
  priorityClassesExist,
  metallbKeepsItsNamespace,
  metallbObjectsAreValid,
  noCommittedSecrets,
  updatesAreSafe,
  workServerReplicasShareADatabase,
  disruptionBudgetsLeaveRoom,
  fileVariablesNameMountedSecrets,
  databaseReachableOnlyByWorkServer,
};
