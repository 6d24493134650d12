// livelab's own rules for the rendered manifests. Each returns human-readable problems ("<Kind>/<name>: …").
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

/** Init containers that wait with `nc -z <host> <port>` must wait for a Service in the render, on a port it has. */
export function initContainersWaitForExistingServices(objs: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
    for (const c of (podSpec(o)?.initContainers ?? []) as Json[]) {
      const cmd = [...(c['command'] ?? []), ...(c['args'] ?? [])].join(' ');
      const m = /nc\s+-z(?:\s+-w\s*\d+)?\s+([a-z0-9.-]+)\s+(\d+)/.exec(cmd);
      if (!m) continue;
      const host = m[1].split('.')[0];
      const svc = objs.find((s) => s.kind === 'Service' && s.metadata.name === host);
      if (!svc) out.push(`${id(o)} init container ${c['name']}: waits for Service "${host}", which is not in the manifests`);
      else if (!((svc as Json)['spec']?.ports ?? []).some((p: Json) => String(p['port']) === m[2]))
        out.push(`${id(o)} init container ${c['name']}: Service "${host}" has no port ${m[2]}`);
      if (!/seq \d+|for i in/.test(cmd)) out.push(`${id(o)} init container ${c['name']}: the wait loop must be bounded`);
    }
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
  metallbKeepsItsNamespace,
  metallbObjectsAreValid,
  noCommittedSecrets,
  updatesAreSafe,
};
