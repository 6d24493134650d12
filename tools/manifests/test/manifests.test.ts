// Every kustomization in k8s/ renders offline, every core object passes kubernetes-models' schema with no unknown
// fields, and our rules hold. Each rule is also shown to catch a deliberately broken manifest.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ALL_RULES, checkSchema, render, type K8sObject } from '../src';

jest.setTimeout(60_000);
const k8s = resolve(__dirname, '../../../k8s');
const clone = <T>(x: T): T => structuredClone(x);

const KUSTOMIZATIONS = ['overlays/office', 'metallb', 'base/packager', 'base/generator', 'base/whoami', 'base/work-server', 'base/work-client'];
const rendered = new Map<string, K8sObject[]>();
beforeAll(() => {
  for (const k of KUSTOMIZATIONS) rendered.set(k, render(join(k8s, k)));
});
const office = () => rendered.get('overlays/office') as K8sObject[];
const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('rendering', () => {
  it.each(KUSTOMIZATIONS)('%s renders', (k) => {
    expect((rendered.get(k) ?? []).length).toBeGreaterThan(0);
  });

  it('the office overlay has every service, in namespace livelab, with registry images', () => {
    const objs = office();
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'DaemonSet/whoami', 'Deployment/generator', 'Deployment/packager', 'Deployment/work-client', 'Deployment/work-server',
      'Namespace/livelab', 'PersistentVolumeClaim/work-server-data', 'PodDisruptionBudget/whoami', 'PodDisruptionBudget/work-client',
      'Service/packager', 'Service/packager-rtmp', 'Service/whoami', 'Service/work-server',
    ]);
    for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('livelab');
    expect(find(objs, 'Deployment', 'packager').spec.template.spec.containers[0].image).toBe('livelab/packager:0.1.0');
  });

  it('puts the page and whoami on MetalLB LoadBalancer IPs; RTMP stays inside unless the component is added', () => {
    const objs = office();
    const page = find(objs, 'Service', 'packager');
    expect(page.spec.type).toBe('LoadBalancer');
    expect(page.metadata.annotations).toMatchObject({ 'metallb.io/address-pool': 'livelab-office', 'metallb.io/loadBalancerIPs': '192.168.10.240' });
    const whoami = find(objs, 'Service', 'whoami');
    expect(whoami.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 'http' }] });
    expect(find(objs, 'Service', 'packager-rtmp').spec.type).toBe('ClusterIP');

    const dir = mkdtempSync(join(tmpdir(), 'k8s-component-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), `resources:\n  - ${relative(dir, join(k8s, 'overlays/office'))}\ncomponents:\n  - ${relative(dir, join(k8s, 'components/expose-rtmp'))}\n`);
      const withRtmp = render(dir);
      const rtmp = find(withRtmp, 'Service', 'packager-rtmp');
      expect(rtmp.spec.type).toBe('LoadBalancer');
      expect((rtmp.metadata.annotations as Record<string, string>)['metallb.io/address-pool']).toBe('livelab-office');
      expect(Object.values(ALL_RULES).flatMap((rule) => rule(withRtmp))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives whoami the downward-API identity and tolerates the control plane', () => {
    const ds = find(office(), 'DaemonSet', 'whoami');
    const env = Object.fromEntries(ds.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.valueFrom?.fieldRef?.fieldPath])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(env).toEqual({ NODE_NAME: 'spec.nodeName', POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace', POD_IP: 'status.podIP' });
    expect(ds.spec.template.spec.tolerations).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' });
  });

  it('shares the publish key Secret between packager and generator and keeps work-client off the generator’s node', () => {
    const objs = office();
    const keyRef = (name: string) =>
      find(objs, 'Deployment', name).spec.template.spec.containers[0].env.find((e: any) => e.name === 'PUBLISH_KEY').valueFrom.secretKeyRef; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(keyRef('packager')).toEqual({ name: 'livelab-publish-key', key: 'publish-key' });
    expect(keyRef('generator')).toEqual(keyRef('packager'));
    const anti = find(objs, 'Deployment', 'work-client').spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
    expect(anti.podAffinityTerm.labelSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'generator' });
  });
});

describe('schema', () => {
  it('every core object validates against kubernetes-models with no unknown fields', () => {
    const problems = office()
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
  it.each(Object.entries(ALL_RULES))('%s holds for the office overlay and MetalLB', (_name, rule) => {
    expect(rule([...office(), ...(rendered.get('metallb') as K8sObject[])])).toEqual([]);
  });

  const broken: Array<[string, keyof typeof ALL_RULES, (objs: any[]) => void, RegExp]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ['a selector that misses its pods', 'selectorsMatchTemplates', (o) => (find(o, 'Deployment', 'packager').spec.selector.matchLabels = { app: 'x' }), /selector does not match/],
    ['a container without a readiness probe', 'containersAreHardened', (o) => delete find(o, 'Deployment', 'packager').spec.template.spec.containers[0].readinessProbe, /readinessProbe missing/],
    ['a probe on an undeclared port', 'containersAreHardened', (o) => (find(o, 'DaemonSet', 'whoami').spec.template.spec.containers[0].livenessProbe.httpGet.port = 9999), /port 9999 is not a declared/],
    ['a writable root filesystem', 'containersAreHardened', (o) => (find(o, 'Deployment', 'generator').spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false), /readOnlyRootFilesystem/],
    ['no limits', 'containersAreHardened', (o) => delete find(o, 'Deployment', 'work-server').spec.template.spec.containers[0].resources.limits, /resources.limits.cpu missing/],
    ['a :latest image', 'containersAreHardened', (o) => (find(o, 'Deployment', 'packager').spec.template.spec.containers[0].image = 'livelab/packager:latest'), /fixed tag/],
    ['a Service targeting an undeclared port', 'servicesTargetDeclaredPorts', (o) => (find(o, 'Service', 'packager').spec.ports[0].targetPort = 'web'), /targetPort web/],
    ['a wait for a missing Service', 'initContainersWaitForExistingServices', (o) => (find(o, 'Deployment', 'generator').spec.template.spec.initContainers[0].command[2] = 'for i in $(seq 9); do nc -z -w 2 nope 1935 && exit 0; done'), /waits for Service "nope"/],
    ['a MetalLB pool moved out of metallb-system', 'metallbKeepsItsNamespace', (o) => o.push({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'livelab' }, spec: { addresses: ['10.0.0.1/32'] } }), /must be in metallb-system/],
    ['a MetalLB field typo', 'metallbObjectsAreValid', (o) => o.push({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'metallb-system' }, spec: { adresses: ['10.0.0.1/32'] } }), /unknown field spec.adresses/],
    ['a committed Secret', 'noCommittedSecrets', (o) => o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } }), /never committed/],
    ['a rolling update that can drop capacity', 'updatesAreSafe', (o) => (find(o, 'Deployment', 'work-client').spec.strategy.rollingUpdate.maxUnavailable = 1), /maxUnavailable 0/],
  ];
  it.each(broken)('catches %s', (_what, rule, breakIt, message) => {
    const objs = clone(office());
    breakIt(objs);
    expect(ALL_RULES[rule](objs).join('\n')).toMatch(message);
  });
});
