// Every kustomization in k8s/ renders offline, every core object passes kubernetes-models' schema with no unknown
// fields, and our rules hold. Each rule is also shown to catch a deliberately broken manifest.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ALL_RULES, checkSchema, envNamesAreRead, envNamesReadBy, render, secretsMatchDeployDoc, type K8sObject } from '../src';

jest.setTimeout(60_000);
const repo = resolve(__dirname, '../../..');
const k8s = join(repo, 'k8s');
const clone = <T>(x: T): T => structuredClone(x);
const annotations = (o: K8sObject) => o.metadata['annotations'] as Record<string, string>;

const KUSTOMIZATIONS = ['overlays/office', 'overlays/office-ha', 'overlays/office-edge', 'metallb', 'base/packager', 'base/generator', 'base/whoami', 'base/work-server', 'base/work-client'];
const rendered = new Map<string, K8sObject[]>();
/** Render the office overlay with some components, from a temporary kustomization. */
function officeWith(...components: string[]): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-component-'));
  try {
    const list = components.map((c) => `  - ${relative(dir, join(k8s, 'components', c))}\n`).join('');
    writeFileSync(join(dir, 'kustomization.yaml'), `namespace: livelab\nresources:\n  - ${relative(dir, join(k8s, 'overlays/office'))}\ncomponents:\n${list}`);
    return render(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
beforeAll(() => {
  for (const k of KUSTOMIZATIONS) rendered.set(k, render(join(k8s, k)));
  rendered.set('office + work-server-ha', officeWith('work-server-ha')); // a database of your own
});
const office = () => rendered.get('overlays/office') as K8sObject[];
const officeHa = () => rendered.get('overlays/office-ha') as K8sObject[];
const metallb = () => rendered.get('metallb') as K8sObject[];
/** Every render a cluster may run: the rules, the schema and the docs must hold for each. */
const DEPLOYABLE = ['overlays/office', 'overlays/office-ha', 'office + work-server-ha', 'overlays/office-edge'];
const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('rendering', () => {
  it.each(KUSTOMIZATIONS)('%s renders', (k) => {
    expect((rendered.get(k) ?? []).length).toBeGreaterThan(0);
  });

  it('the office overlay has every service, in namespace livelab, with registry images', () => {
    const objs = office();
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'DaemonSet/whoami', 'Deployment/generator', 'Deployment/packager', 'Deployment/work-client', 'Deployment/work-server',
      'Namespace/livelab', 'NetworkPolicy/allow-dns', 'NetworkPolicy/default-deny', 'NetworkPolicy/generator', 'NetworkPolicy/packager',
      'NetworkPolicy/whoami', 'NetworkPolicy/work-client', 'NetworkPolicy/work-server',
      'PersistentVolumeClaim/work-server-data', 'PodDisruptionBudget/work-client', 'PriorityClass/livelab-background',
      'Service/packager', 'Service/packager-rtmp', 'Service/whoami', 'Service/work-server',
    ]);
    for (const o of objs.filter((x) => !['Namespace', 'PriorityClass'].includes(x.kind))) expect(o.metadata.namespace).toBe('livelab');
    expect(find(objs, 'PriorityClass', 'livelab-background').metadata.namespace).toBeUndefined();
    expect(find(objs, 'Deployment', 'packager').spec.template.spec.containers[0].image).toMatch(/^livelab\/packager:0\.1\.0-[0-9a-f]{7}$/);
  });

  it.each(DEPLOYABLE)('%s: the packager never has fault injection on (FAULTS_ENABLED unset or false)', (k) => {
    const env: Array<{ name: string; value?: string }> = find(rendered.get(k) as K8sObject[], 'Deployment', 'packager').spec.template.spec.containers[0].env;
    const faults = env.filter((e) => e.name.startsWith('FAULTS_'));
    expect(faults).toEqual([{ name: 'FAULTS_ENABLED', value: 'false' }]);
  });

  it('puts the page and whoami on MetalLB LoadBalancer IPs; RTMP stays inside unless the component is added', () => {
    const objs = office();
    const page = find(objs, 'Service', 'packager');
    expect(page.spec.type).toBe('LoadBalancer');
    expect(page.metadata.annotations).toMatchObject({ 'metallb.io/address-pool': 'livelab-pinned', 'metallb.io/loadBalancerIPs': '192.168.10.240' });
    const whoami = find(objs, 'Service', 'whoami');
    expect(whoami.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 'http' }] });
    expect(find(objs, 'Service', 'packager-rtmp').spec.type).toBe('ClusterIP');

    const withRtmp = officeWith('expose-rtmp');
    const rtmp = find(withRtmp, 'Service', 'packager-rtmp');
    expect(rtmp.spec.type).toBe('LoadBalancer');
    expect((rtmp.metadata.annotations as Record<string, string>)['metallb.io/address-pool']).toBe('livelab-pinned');
    expect(find(withRtmp, 'NetworkPolicy', 'packager').spec.ingress).toContainEqual({ ports: [{ port: 1935, protocol: 'TCP' }] });
    expect(Object.values(ALL_RULES).flatMap((rule) => rule([...withRtmp, ...metallb()]))).toEqual([]);
  });

  it('office-ha: the work server on PostgreSQL, 3 replicas spread over nodes, no volume, plus one PostgreSQL pod', () => {
    const names = (objs: K8sObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`);
    const added = names(officeHa()).filter((n) => !names(office()).includes(n));
    const removed = names(office()).filter((n) => !names(officeHa()).includes(n));
    expect(added.sort()).toEqual(['NetworkPolicy/work-postgres', 'PodDisruptionBudget/work-server', 'Service/work-postgres', 'StatefulSet/work-postgres']);
    expect(removed).toEqual(['PersistentVolumeClaim/work-server-data']);
    for (const o of officeHa().filter((x) => !['Namespace', 'PriorityClass'].includes(x.kind))) expect(o.metadata.namespace).toBe('livelab');

    const dep = find(officeHa(), 'Deployment', 'work-server').spec;
    expect(dep.replicas).toBe(3);
    expect(dep.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    expect(dep.template.spec.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'work-server' } } },
    ]);
    const c = dep.template.spec.containers[0];
    expect(c.env.map((e: { name: string }) => e.name).sort()).toEqual(['HTTP_PORT', 'WORK_ACCOUNT_KEY_FILE', 'WORK_DATABASE_URL_FILE']);
    expect(c.env).toContainEqual({ name: 'WORK_DATABASE_URL_FILE', value: '/run/secrets/work-database/url' });
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(dep.template.spec.volumes).toContainEqual({ name: 'database-url', secret: { secretName: 'work-database', items: [{ key: 'url', path: 'url' }], defaultMode: 0o440 } });
    expect(dep.template.spec.volumes.some((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim)).toBe(false);
    expect(find(officeHa(), 'PodDisruptionBudget', 'work-server').spec.minAvailable).toBe(2);

    const pg = find(officeHa(), 'StatefulSet', 'work-postgres').spec;
    expect(pg.replicas).toBe(1);
    // our own PostgreSQL 15 image (docker/postgres.Dockerfile), pinned to one build in the component
    expect(pg.template.spec.containers[0].image).toMatch(/^livelab\/work-postgres:\d+\.\d+\.\d+-[0-9a-f]{7}$/);
    expect(pg.volumeClaimTemplates[0].spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(pg.template.spec.containers[0].readinessProbe.exec.command[0]).toBe('pg_isready');
    // The work servers may reach only this pod on 5432.
    expect(find(officeHa(), 'NetworkPolicy', 'work-server').spec.egress).toEqual([
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'work-postgres' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
    ]);
    // Without the postgres component (a database of your own): 5432 to anywhere, and nothing of PostgreSQL.
    const own = rendered.get('office + work-server-ha') as K8sObject[];
    expect(own.some((o) => o.metadata.name === 'work-postgres')).toBe(false);
    expect(find(own, 'NetworkPolicy', 'work-server').spec.egress).toEqual([{ ports: [{ port: 5432, protocol: 'TCP' }] }]);
  });

  it('office-edge: Varnish edges take the LoadBalancer, the packager is reached only through them', () => {
    const edge = rendered.get('overlays/office-edge') as K8sObject[];
    const names = (objs: K8sObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names(edge).filter((n) => !names(office()).includes(n)).sort()).toEqual([
      'Deployment/edge', 'HorizontalPodAutoscaler/edge', 'NetworkPolicy/edge', 'PodDisruptionBudget/edge', 'Service/edge',
    ]);
    const lb = find(edge, 'Service', 'edge');
    expect(lb.spec).toMatchObject({ type: 'LoadBalancer', ports: [{ port: 8080, targetPort: 'http' }] });
    expect(lb.metadata.annotations).toEqual({ 'metallb.io/address-pool': 'livelab-pinned', 'metallb.io/loadBalancerIPs': '192.168.10.240' });
    const origin = find(edge, 'Service', 'packager');
    expect([origin.spec.type, origin.metadata.annotations]).toEqual(['ClusterIP', undefined]);
    // Players reach the packager's HTTP only through the edge; RTMP from the generator as before.
    expect(find(edge, 'NetworkPolicy', 'packager').spec.ingress[0]).toEqual({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'edge' } } }], ports: [{ port: 8080, protocol: 'TCP' }] });
    expect(find(edge, 'NetworkPolicy', 'edge').spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'packager' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }]);
    // The MPD's UTCTiming and any absolute URL name the edge's address.
    expect(find(edge, 'Deployment', 'packager').spec.template.spec.containers[0].env).toContainEqual({ name: 'PUBLIC_BASE_URL', value: `http://${annotations(lb)['metallb.io/loadBalancerIPs']}:8080` });
    const dep = find(edge, 'Deployment', 'edge').spec;
    expect(dep.template.spec.containers[0].image).toMatch(/^livelab\/edge:0\.1\.0-[0-9a-f]{7}$/);
    expect(dep.template.spec.containers[0].env).toEqual(expect.arrayContaining([{ name: 'ORIGIN_HOST', value: 'packager' }, { name: 'ORIGIN_PORT', value: '8080' }]));
    expect(find(edge, 'HorizontalPodAutoscaler', 'edge').spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'edge' }, minReplicas: 2,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
    // The edge → packager connection is checked at both ends: closing it at the packager is caught.
    const broken = clone(edge);
    find(broken, 'NetworkPolicy', 'packager').spec.ingress[0].from[0].podSelector.matchLabels = { 'app.kubernetes.io/name': 'generator' };
    expect(ALL_RULES.networkPoliciesAllowWhatIsUsed(broken).join('\n')).toMatch(/Deployment\/edge → packager:8080: Deployment\/packager does not admit it/);
  });

  it('gives whoami the downward-API identity and tolerates the control plane', () => {
    const ds = find(office(), 'DaemonSet', 'whoami');
    const env = Object.fromEntries(ds.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.valueFrom?.fieldRef?.fieldPath])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(env).toEqual({ NODE_NAME: 'spec.nodeName', POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', POD_IP: 'status.podIP' });
    expect(ds.spec.template.spec.tolerations).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' });
  });

  it('shares the publish key Secret between packager and generator as a mounted file, like the other secrets', () => {
    const objs = office();
    for (const name of ['packager', 'generator']) {
      const pod = find(objs, 'Deployment', name).spec.template.spec;
      const c = pod.containers[0];
      expect(c.env).toContainEqual({ name: 'PUBLISH_KEY_FILE', value: '/run/secrets/livelab-publish-key/publish-key' });
      expect(c.env.some((e: any) => e.valueFrom?.secretKeyRef)).toBe(false); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(c.volumeMounts).toContainEqual({ name: 'publish-key', mountPath: '/run/secrets/livelab-publish-key', readOnly: true });
      expect(pod.volumes).toContainEqual({ name: 'publish-key', secret: { secretName: 'livelab-publish-key', items: [{ key: 'publish-key', path: 'publish-key' }], defaultMode: 0o440 } });
      // 0440 root-owned files are readable by the service only through its fsGroup.
      expect(pod.securityContext.fsGroup).toBe(10001);
    }
  });

  it('places the work clients as the original system did: 3, on workload=production nodes, never with the generator, lowest priority', () => {
    const pod = find(office(), 'Deployment', 'work-client').spec;
    expect(pod.replicas).toBe(3);
    expect(pod.template.spec.nodeSelector).toEqual({ workload: 'production' });
    expect(pod.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'generator' } } },
    ]);
    expect(pod.template.spec.priorityClassName).toBe('livelab-background');
    expect(find(office(), 'PriorityClass', 'livelab-background')).toMatchObject({ value: -100, preemptionPolicy: 'Never', globalDefault: false });
  });

  it('keeps the pinned addresses in their own pool that MetalLB never hands out by itself', () => {
    const pools = (rendered.get('metallb') as K8sObject[]).filter((o) => o.kind === 'IPAddressPool') as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(Object.fromEntries(pools.map((p) => [p.metadata.name, p.spec.autoAssign]))).toEqual({ 'livelab-pinned': false, 'livelab-office': true });
  });
});

describe('schema', () => {
  it.each(DEPLOYABLE)('every core object of %s validates against kubernetes-models with no unknown fields', (k) => {
    const problems = (rendered.get(k) as K8sObject[])
      .flatMap((o) => checkSchema(o as any).map((p) => `${o.kind}/${o.metadata.name} ${p.path}: ${p.message}`)); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(problems).toEqual([]);
  });

  it('catches unknown fields at any depth, wrong types and missing required fields', () => {
    const dep = clone(find(office(), 'Deployment', 'packager'));
    dep.spec.replica = 2; // typo
    dep.spec.template.spec.containers[0].readinesProbe = {}; // typo
    dep.spec.template.spec.containers[0].resources.limits.cpus = '1';
    dep.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    delete dep.spec.selector;
    const messages = checkSchema(dep).map((p) => `${p.path} ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        '/spec/replica unknown field',
        '/spec/template/spec/containers/0/readinesProbe unknown field',
        expect.stringMatching(/^\/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort type/),
        expect.stringMatching(/^\/spec required/),
      ]),
    );
    // resources.limits is a map of quantities: any resource name is allowed there.
    expect(messages.some((m) => m.includes('/limits/cpus'))).toBe(false);
  });
});

describe('rules', () => {
  it.each(DEPLOYABLE.flatMap((k) => Object.entries(ALL_RULES).map(([name, rule]) => [name, k, rule] as const)))('%s holds for %s and MetalLB', (_name, k, rule) => {
    expect(rule([...(rendered.get(k) as K8sObject[]), ...metallb()])).toEqual([]);
  });

  const broken: Array<[string, keyof typeof ALL_RULES, (objs: any[]) => void, RegExp]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['a selector that misses its pods', 'selectorsMatchTemplates', (o) => (find(o, 'Deployment', 'packager').spec.selector.matchLabels = { app: 'x' }), /selector does not match/],
    ['a container without a readiness probe', 'containersAreHardened', (o) => delete find(o, 'Deployment', 'packager').spec.template.spec.containers[0].readinessProbe, /readinessProbe missing/],
    ['a probe on an undeclared port', 'containersAreHardened', (o) => (find(o, 'DaemonSet', 'whoami').spec.template.spec.containers[0].livenessProbe.httpGet.port = 9999), /port 9999 is not a declared/],
    ['a writable root filesystem', 'containersAreHardened', (o) => (find(o, 'Deployment', 'generator').spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false), /readOnlyRootFilesystem/],
    ['no limits', 'containersAreHardened', (o) => delete find(o, 'Deployment', 'work-server').spec.template.spec.containers[0].resources.limits, /resources.limits.cpu missing/],
    ['a :latest image', 'containersAreHardened', (o) => (find(o, 'Deployment', 'packager').spec.template.spec.containers[0].image = 'livelab/packager:latest'), /fixed tag/],
    ['a Service targeting an undeclared port', 'servicesTargetDeclaredPorts', (o) => (find(o, 'Service', 'packager').spec.ports[0].targetPort = 'web'), /targetPort web/],
    ['a wait for a missing Service', 'initContainersWaitForExistingServices', (o) => (find(o, 'Deployment', 'generator').spec.template.spec.initContainers[0].command[2] = 'nope'), /waits for Service "nope"/],
    ['a MetalLB pool moved out of metallb-system', 'metallbKeepsItsNamespace', (o) => o.push({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'livelab' }, spec: { addresses: ['10.0.0.1/32'] } }), /must be in metallb-system/],
    ['a MetalLB field typo', 'metallbObjectsAreValid', (o) => o.push({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'metallb-system' }, spec: { adresses: ['10.0.0.1/32'] } }), /unknown field spec.adresses/],
    ['a committed Secret', 'noCommittedSecrets', (o) => o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } }), /never committed/],
    ['a rolling update that can drop capacity', 'updatesAreSafe', (o) => (find(o, 'Deployment', 'work-client').spec.strategy.rollingUpdate.maxUnavailable = 1), /maxUnavailable 0/],
    ['an unbounded wait', 'initContainersWaitForExistingServices', (o) => (find(o, 'Deployment', 'generator').spec.template.spec.initContainers[0].command[4] = '0'), /must be bounded/],
    ['a wait of an hour', 'initContainersWaitForExistingServices', (o) => (find(o, 'Deployment', 'generator').spec.template.spec.initContainers[0].command[4] = '3600'), /must be bounded/],
    ['a generator without its init container', 'generatorWaitsForPackager', (o) => delete find(o, 'Deployment', 'generator').spec.template.spec.initContainers, /needs an init container that waits for packager-rtmp:1935/],
    ['a generator waiting on the wrong port', 'generatorWaitsForPackager', (o) => (find(o, 'Deployment', 'generator').spec.template.spec.initContainers[0].command[3] = '8080'), /needs an init container/],
    ['an unconfined pod', 'seccompIsRuntimeDefault', (o) => delete find(o, 'Deployment', 'work-server').spec.template.spec.securityContext.seccompProfile, /work-server container work-server: seccompProfile must be RuntimeDefault/],
    ['a container that opts out of seccomp', 'seccompIsRuntimeDefault', (o) => (find(o, 'Deployment', 'generator').spec.template.spec.initContainers[0].securityContext.seccompProfile = { type: 'Unconfined' }), /wait-for-packager: seccompProfile must be RuntimeDefault \(is Unconfined\)/],
    ['a mounted API token', 'noServiceAccountTokens', (o) => delete find(o, 'DaemonSet', 'whoami').spec.template.spec.automountServiceAccountToken, /DaemonSet\/whoami: set automountServiceAccountToken: false/],
    ['a load-balanced pod without preStop', 'loadBalancedPodsDelayStop', (o) => delete find(o, 'Deployment', 'packager').spec.template.spec.containers[0].lifecycle, /behind LoadBalancer packager, needs a preStop sleep/],
    ['a grace period the preStop eats', 'loadBalancedPodsDelayStop', (o) => (find(o, 'DaemonSet', 'whoami').spec.template.spec.terminationGracePeriodSeconds = 6), /leaves under 5 s to drain/],
    ['liveness = readiness', 'livenessDiffersFromReadiness', (o) => (find(o, 'Deployment', 'work-server').spec.template.spec.containers[0].livenessProbe.httpGet.path = '/readyz'), /both probe \/readyz/],
    ['a ReadWriteOnce user that surges', 'rwoVolumeUsersRecreate', (o) => (find(o, 'Deployment', 'work-server').spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }), /mounts ReadWriteOnce work-server-data: use strategy Recreate/],
    ['a ReadWriteOnce user with 2 replicas', 'rwoVolumeUsersRecreate', (o) => (find(o, 'Deployment', 'work-server').spec.replicas = 2), /Recreate and 1 replica/],
    ['a PDB over a DaemonSet', 'disruptionBudgetsCoverEvictablePods', (o) => o.push({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'whoami' }, spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'whoami' } } } }), /only DaemonSet pods/],
    ['a version-only tag', 'imagesNameOneBuild', (o) => (find(o, 'Deployment', 'work-client').spec.template.spec.containers[0].image = 'registry.office.lan/livelab/work-client:0.1.0'), /must be tagged <version>-<git sha>/],
    ['a version-only init image', 'imagesNameOneBuild', (o) => (find(o, 'Deployment', 'generator').spec.template.spec.initContainers[0].image = 'livelab/generator:0.1.0'), /container wait-for-packager: image "livelab\/generator:0\.1\.0" must be tagged/],
    ['a pinned IP outside its pool', 'pinnedAddressesHaveTheirPool', (o) => (annotations(find(o, 'Service', 'whoami'))['metallb.io/loadBalancerIPs'] = '192.168.10.245'), /192\.168\.10\.245 is outside pool livelab-pinned/],
    ['a pinned IP in an auto-assigning pool', 'pinnedAddressesHaveTheirPool', (o) => (find(o, 'IPAddressPool', 'livelab-pinned').spec.autoAssign = true), /must have autoAssign: false/],
    ['a pool that does not exist', 'pinnedAddressesHaveTheirPool', (o) => (annotations(find(o, 'Service', 'packager'))['metallb.io/address-pool'] = 'office'), /names no existing IPAddressPool/],
    ['an IP pinned twice', 'pinnedAddressesHaveTheirPool', (o) => (annotations(find(o, 'Service', 'whoami'))['metallb.io/loadBalancerIPs'] = '192.168.10.240'), /already pinned by Service\/packager/],
    ['no default deny', 'networkPoliciesAllowWhatIsUsed', (o) => o.splice(o.indexOf(find(o, 'NetworkPolicy', 'default-deny')), 1), /no default-deny policy/],
    ['no DNS', 'networkPoliciesAllowWhatIsUsed', (o) => o.splice(o.indexOf(find(o, 'NetworkPolicy', 'allow-dns')), 1), /reach DNS/],
    ['generator → packager blocked at the packager', 'networkPoliciesAllowWhatIsUsed', (o) => (find(o, 'NetworkPolicy', 'packager').spec.ingress[1].from[0].podSelector.matchLabels = { 'app.kubernetes.io/name': 'nobody' }), /generator → packager-rtmp:1935: Deployment\/packager does not admit it/],
    ['work-client → work-server blocked at the client', 'networkPoliciesAllowWhatIsUsed', (o) => (find(o, 'NetworkPolicy', 'work-client').spec.egress = []), /work-client → work-server:8090: egress/],
    ['a Service port closed to all', 'networkPoliciesAllowWhatIsUsed', (o) => (find(o, 'NetworkPolicy', 'whoami').spec.ingress = []), /Service\/whoami: port 80 → DaemonSet\/whoami is closed/],
    ['a missing PriorityClass', 'priorityClassesExist', (o) => o.splice(o.indexOf(find(o, 'PriorityClass', 'livelab-background')), 1), /PriorityClass livelab-background is not in the manifests/],
    ['background work that preempts', 'priorityClassesExist', (o) => delete find(o, 'PriorityClass', 'livelab-background').preemptionPolicy, /must not preempt/],
  ];
  it.each(broken)('catches %s', (_what, rule, breakIt, message) => {
    const objs = clone([...office(), ...(rendered.get('metallb') as K8sObject[])]);
    breakIt(objs);
    expect(ALL_RULES[rule](objs).join('\n')).toMatch(message);
  });
});

describe('rules for the PostgreSQL work server (office-ha)', () => {
  const wsPod = (o: any[]) => find(o, 'Deployment', 'work-server').spec.template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
  const brokenHa: Array<[string, keyof typeof ALL_RULES, (objs: any[]) => void, RegExp]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['replicas without a database URL', 'workServerReplicasShareADatabase', (o) => (wsPod(o).containers[0].env = wsPod(o).containers[0].env.filter((e: { name: string }) => e.name !== 'WORK_DATABASE_URL_FILE')), /3 replicas need a shared database: set WORK_DATABASE_URL_FILE/],
    ['replicas on a volume', 'workServerReplicasShareADatabase', (o) => wsPod(o).volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'work-server-data' } }), /must not mount PersistentVolumeClaim work-server-data/],
    ['replicas rolled out with Recreate', 'workServerReplicasShareADatabase', (o) => (find(o, 'Deployment', 'work-server').spec.strategy = { type: 'Recreate' }), /RollingUpdate, not Recreate/],
    ['replicas not spread over nodes', 'workServerReplicasShareADatabase', (o) => delete wsPod(o).topologySpreadConstraints, /must spread over nodes/],
    ['replicas spread over zones only', 'workServerReplicasShareADatabase', (o) => (wsPod(o).topologySpreadConstraints[0].topologyKey = 'topology.kubernetes.io/zone'), /must spread over nodes/],
    ['replicas without a PDB', 'workServerReplicasShareADatabase', (o) => o.splice(o.indexOf(find(o, 'PodDisruptionBudget', 'work-server')), 1), /need a PodDisruptionBudget/],
    ['a PDB that allows no eviction', 'disruptionBudgetsLeaveRoom', (o) => (find(o, 'PodDisruptionBudget', 'work-server').spec.minAvailable = 3), /PodDisruptionBudget\/work-server: minAvailable 3 of 3 replicas lets no pod be evicted/],
    ['a PDB of 100%', 'disruptionBudgetsLeaveRoom', (o) => (find(o, 'PodDisruptionBudget', 'work-server').spec.minAvailable = '100%'), /minAvailable 100% of 3/],
    ['a PDB with maxUnavailable 0', 'disruptionBudgetsLeaveRoom', (o) => (find(o, 'PodDisruptionBudget', 'work-client').spec.maxUnavailable = 0), /work-client: maxUnavailable 0/],
    ['scaled down under its PDB', 'disruptionBudgetsLeaveRoom', (o) => (find(o, 'Deployment', 'work-server').spec.replicas = 2), /minAvailable 2 of 2 replicas/],
    ['a database URL file outside its Secret', 'fileVariablesNameMountedSecrets', (o) => (wsPod(o).containers[0].env.find((e: { name: string }) => e.name === 'WORK_DATABASE_URL_FILE').value = '/run/secrets/work-database/uri'), /WORK_DATABASE_URL_FILE=\/run\/secrets\/work-database\/uri: Secret volume database-url has no file uri/],
    ['a file variable with no mount', 'fileVariablesNameMountedSecrets', (o) => (wsPod(o).containers[0].volumeMounts = wsPod(o).containers[0].volumeMounts.filter((m: { name: string }) => m.name !== 'database-url')), /WORK_DATABASE_URL_FILE=\/run\/secrets\/work-database\/url is not in a mounted Secret volume/],
    ['a Secret mounted writable', 'fileVariablesNameMountedSecrets', (o) => delete find(o, 'StatefulSet', 'work-postgres').spec.template.spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'password').readOnly, /POSTGRES_PASSWORD_FILE=.*: mount the Secret readOnly/],
    ['PostgreSQL open to every pod', 'databaseReachableOnlyByWorkServer', (o) => delete find(o, 'NetworkPolicy', 'work-postgres').spec.ingress[0].from, /work-postgres admits Deployment\/packager on 5432/],
    ['PostgreSQL open to another namespace', 'databaseReachableOnlyByWorkServer', (o) => find(o, 'NetworkPolicy', 'work-postgres').spec.ingress.push({ from: [{ namespaceSelector: {} }] }), /admits connections from outside the namespace/],
    ['PostgreSQL opened by a second policy', 'databaseReachableOnlyByWorkServer', (o) => o.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'debug' }, spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] } }), /admits Deployment\/work-client on 5432/],
    ['work servers without egress to PostgreSQL', 'databaseReachableOnlyByWorkServer', (o) => delete find(o, 'NetworkPolicy', 'work-server').spec.egress, /Deployment\/work-server → work-postgres:5432: egress to StatefulSet\/work-postgres is not allowed/],
    ['PostgreSQL admitting someone else', 'databaseReachableOnlyByWorkServer', (o) => (find(o, 'NetworkPolicy', 'work-postgres').spec.ingress[0].from[0].podSelector.matchLabels = { 'app.kubernetes.io/name': 'work-client' }), /work-postgres does not admit it/],
    ['a work-server on a ReadWriteOnce volume, rolling', 'rwoVolumeUsersRecreate', (o) => {
      o.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'work-server-data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
      wsPod(o).volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'work-server-data' } });
    }, /mounts ReadWriteOnce work-server-data: use strategy Recreate and 1 replica/],
  ];
  it.each(brokenHa)('catches %s', (_what, rule, breakIt, message) => {
    const objs = clone([...officeHa(), ...metallb()]);
    breakIt(objs);
    expect(ALL_RULES[rule](objs).join('\n')).toMatch(message);
  });
});

describe('manifests and the rest of the repository', () => {
  const deployDoc = readFileSync(join(repo, 'docs/deploy.md'), 'utf8');

  // Both modes: the SQLite office overlay and office-ha (its work-database Secret) share one page.
  const allModes = () => DEPLOYABLE.flatMap((k) => rendered.get(k) as K8sObject[]);
  it('docs/deploy.md creates exactly the Secrets and keys the manifests use (SQLite and PostgreSQL modes)', () => {
    expect(secretsMatchDeployDoc(allModes(), deployDoc)).toEqual([]);
  });

  it('catches a Secret key the docs do not create, and one they create for nothing', () => {
    const objs = clone(office());
    find(objs, 'Deployment', 'work-server').spec.template.spec.volumes.find((v: any) => v.secret).secret.items[0].key = 'accountkey'; // eslint-disable-line @typescript-eslint/no-explicit-any
    const problems = secretsMatchDeployDoc(objs, deployDoc);
    expect(problems).toContain('Secret work-account/accountkey: used by the manifests, but docs/deploy.md never creates it');
    expect(secretsMatchDeployDoc(allModes(), `${deployDoc}\nkubectl -n livelab create secret generic extra --from-literal=token=x\n`)).toEqual(['Secret extra/token: created by docs/deploy.md, but no manifest uses it']);
  });

  const readBy = new Map<string, Set<string>>();
  const envOf = (app: string) => {
    if (!['packager', 'generator', 'whoami', 'work-server', 'work-client'].includes(app)) return undefined;
    if (!readBy.has(app)) readBy.set(app, envNamesReadBy(repo, app));
    return readBy.get(app);
  };

  it('every env name in a manifest is read by its app', () => {
    for (const k of DEPLOYABLE) expect(envNamesAreRead(rendered.get(k) as K8sObject[], envOf)).toEqual([]);
    expect(envOf('work-server')).toContain('WORK_DATABASE_URL_FILE');
    expect(envOf('packager')).toContain('PUBLISH_KEY_FILE');
    expect(envOf('work-client')).toContain('WORK_ACCOUNT_KEY_FILE'); // readSecret('WORK_ACCOUNT_KEY') reads NAME_FILE too
    expect(envOf('whoami')).toContain('POD_NAMESPACE'); // read in @livelab/whoami-core
  });

  it('catches an env name no app reads (a typo)', () => {
    const objs = clone(office());
    find(objs, 'Deployment', 'generator').spec.template.spec.containers[0].env.push({ name: 'PUBLISH_KEYFILE', value: '/x' });
    find(objs, 'Deployment', 'work-server').spec.template.spec.containers[0].env.push({ name: 'PUBLISH_KEY_FILE', value: '/x' });
    expect(envNamesAreRead(objs, envOf)).toEqual([
      'Deployment/generator container generator: env PUBLISH_KEYFILE is read nowhere in the app',
      'Deployment/work-server container work-server: env PUBLISH_KEY_FILE is read nowhere in the app',
    ]);
  });
});

describe('tools/docker/pin-images.mjs', () => {
  it('points the overlay at one build in a registry, keeping comments, and the result passes every rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-pin-'));
    try {
      cpSync(k8s, join(dir, 'k8s'), { recursive: true });
      const file = join(dir, 'k8s/overlays/office/kustomization.yaml');
      execFileSync(process.execPath, [join(repo, 'tools/docker/pin-images.mjs'), '--registry', 'registry.office.lan/livelab', '--tag', '0.1.0-abcdef1', '--file', file], { stdio: 'ignore' });
      expect(readFileSync(file, 'utf8')).toContain('# One tag per build');
      const objs = render(join(dir, 'k8s/overlays/office'));
      const images = objs.filter((o) => ['Deployment', 'DaemonSet'].includes(o.kind)).flatMap((o: any) => [...(o.spec.template.spec.initContainers ?? []), ...o.spec.template.spec.containers].map((c: any) => c.image)); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(new Set(images)).toEqual(new Set(['packager', 'generator', 'whoami', 'work-server', 'work-client'].map((a) => `registry.office.lan/livelab/${a}:0.1.0-abcdef1`)));
      expect(Object.values(ALL_RULES).flatMap((rule) => rule([...objs, ...(rendered.get('metallb') as K8sObject[])]))).toEqual([]);
      // office-ha builds on office: it runs the same pinned images and passes the rules too.
      const ha = render(join(dir, 'k8s/overlays/office-ha'));
      expect(find(ha, 'Deployment', 'work-server').spec.template.spec.containers[0].image).toBe('registry.office.lan/livelab/work-server:0.1.0-abcdef1');
      expect(Object.values(ALL_RULES).flatMap((rule) => rule([...ha, ...metallb()]))).toEqual([]);
      // A tag that names no single build is refused by the rules.
      execFileSync(process.execPath, [join(repo, 'tools/docker/pin-images.mjs'), '--registry', 'registry.office.lan/livelab', '--tag', '0.1.0', '--file', file], { stdio: 'ignore' });
      expect(ALL_RULES.imagesNameOneBuild(render(join(dir, 'k8s/overlays/office'))).length).toBe(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
