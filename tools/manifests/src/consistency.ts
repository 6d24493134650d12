// Checks that tie the manifests to the rest of the repository: the Secrets docs/deploy.md tells you to create are
// exactly those the manifests use, and every environment variable a manifest sets is one the app reads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { K8sObject } from './render';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

/** `<secret>/<key>` for every Secret key a workload reads (env secretKeyRef, secret volume items). */
export function secretKeysUsed(objs: K8sObject[]): Set<string> {
  const used = new Set<string>();
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
    const pod = (o as Json)['spec']?.template?.spec ?? {};
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as Json[])
      for (const e of (c['env'] ?? []) as Json[]) {
        const ref = e['valueFrom']?.secretKeyRef;
        if (ref) used.add(`${ref.name}/${ref.key}`);
      }
    for (const v of (pod.volumes ?? []) as Json[]) {
      const secret = v['secret'];
      if (!secret) continue;
      if (!secret.items?.length) used.add(`${secret.secretName}/*`);
      for (const item of secret.items ?? []) used.add(`${secret.secretName}/${item.key}`);
    }
  }
  return used;
}

/** `<secret>/<key>` for every `kubectl … create secret generic NAME --from-literal=KEY=… / --from-file=KEY=…` in a text. */
export function secretKeysDocumented(markdown: string): Set<string> {
  const documented = new Set<string>();
  // Join continued lines so one command is one string.
  const text = markdown.replace(/\\\n\s*/g, ' ');
  for (const m of text.matchAll(/create secret generic\s+([a-z0-9-]+)([^\n]*)/g))
    for (const k of m[2].matchAll(/--from-(?:literal|file)=([A-Za-z0-9._-]+)=/g)) documented.add(`${m[1]}/${k[1]}`);
  return documented;
}

export function secretsMatchDeployDoc(objs: K8sObject[], markdown: string): string[] {
  const used = secretKeysUsed(objs);
  const documented = secretKeysDocumented(markdown);
  return [
    ...[...used].filter((k) => !documented.has(k)).map((k) => `Secret ${k}: used by the manifests, but docs/deploy.md never creates it`),
    ...[...documented].filter((k) => !used.has(k)).map((k) => `Secret ${k}: created by docs/deploy.md, but no manifest uses it`),
  ];
}

const SECRET_READERS = /\b(?:readSecret|secretOrFile)\(\s*(?:[\w.]+\s*,\s*)?['"]([A-Z][A-Z0-9_]*)['"]/g;

/**
 * The environment variable names an app can read: upper-case names in its own sources and in the sources of the
 * workspace libraries it imports (transitively), plus `NAME_FILE` for every secret it reads with a `*_FILE` reader.
 */
export function envNamesReadBy(root: string, app: string): Set<string> {
  const libs = new Map<string, string>();
  const findLibs = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name === 'node_modules' || e.name === 'src') continue;
      const pkg = join(dir, e.name, 'package.json');
      if (existsSync(pkg)) libs.set(JSON.parse(readFileSync(pkg, 'utf8')).name, join(dir, e.name, 'src'));
      else findLibs(join(dir, e.name));
    }
  };
  findLibs(join(root, 'libs'));
  const names = new Set<string>();
  const seen = new Set<string>();
  const scan = (srcDir: string) => {
    if (seen.has(srcDir) || !existsSync(srcDir)) return;
    seen.add(srcDir);
    for (const e of readdirSync(srcDir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile() || !/\.ts$/.test(e.name) || /\.(spec|test)\.ts$/.test(e.name)) continue;
      const code = readFileSync(join(e.parentPath ?? dirname(join(srcDir, e.name)), e.name), 'utf8');
      for (const m of code.matchAll(/(?:['"`.]|\b)([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})\b/g)) names.add(m[1]);
      for (const m of code.matchAll(SECRET_READERS)) names.add(`${m[1]}_FILE`);
      for (const m of code.matchAll(/from '(@livelab\/[a-z0-9-]+)'/g)) {
        const lib = libs.get(m[1]);
        if (lib) scan(lib);
      }
    }
  };
  scan(join(root, 'apps', app, 'src'));
  return names;
}

/** The app an image belongs to: the last path segment of its name (`registry/livelab/work-client:tag` → work-client). */
export const appOfImage = (image: string) => image.replace(/[@:][^/]*$/, '').split('/').pop() ?? '';

export function envNamesAreRead(objs: K8sObject[], readBy: (app: string) => Set<string> | undefined): string[] {
  const out: string[] = [];
  for (const o of objs.filter((x) => WORKLOADS.has(x.kind)))
    for (const c of ((o as Json)['spec']?.template?.spec?.containers ?? []) as Json[]) {
      const read = readBy(appOfImage(String(c['image'] ?? '')));
      if (!read) continue;
      for (const e of (c['env'] ?? []) as Json[])
        if (!read.has(e['name'])) out.push(`${o.kind}/${o.metadata.name} container ${c['name']}: env ${e['name']} is read nowhere in the app`);
    }
  return out;
}
