// Validate core objects with kubernetes-models 4.5.1's compiled JSON-schema validators, and find UNKNOWN fields,
// which those validators let through: the validator reads every property its schema knows (`data.<name>`), so
// we hand it the object behind a Proxy that records which keys are read at each path; a key present in the
// manifest but never read at its path is not in the schema (a typo, a wrong indentation level, a made-up field).
import { dirname, join } from 'node:path';

type Json = Record<string, unknown>;

const GROUPS: Record<string, string> = { '': 'Core', apps: 'Apps', policy: 'Policy', batch: 'Batch', 'networking.k8s.io': 'Networking', 'scheduling.k8s.io': 'Scheduling', autoscaling: 'Autoscaling' };

/** The kubernetes-models schema module for apiVersion + kind, e.g. apps/v1 Deployment → IoK8sApiAppsV1Deployment. */
export function schemaModule(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const g = GROUPS[group];
  if (!g) return undefined;
  return `IoK8sApi${g}${version[0].toUpperCase()}${version.slice(1)}${kind}`;
}

interface Validator {
  (data: unknown): boolean;
  errors?: Array<{ instancePath: string; message?: string; keyword: string; params: unknown }> | null;
}

// The package does not export its _schemas folder: load the files by path.
const SCHEMAS = join(dirname(require.resolve('kubernetes-models')), '_schemas');

function loadValidator(module: string): Validator | undefined {
  try {
    return (require(join(SCHEMAS, `${module}.js`)) as { validate: Validator }).validate;
  } catch {
    return undefined;
  }
}

export interface SchemaProblem {
  path: string;
  message: string;
}

export function checkSchema(obj: Json): SchemaProblem[] {
  const module = schemaModule(String(obj['apiVersion']), String(obj['kind']));
  const validate = module ? loadValidator(module) : undefined;
  if (!validate) return [{ path: '', message: `no schema for ${obj['apiVersion']} ${obj['kind']}` }];

  const reads = new Map<string, Set<string>>();
  const objects = new Map<string, Json>();
  const wrap = (value: unknown, path: string): unknown => {
    if (!value || typeof value !== 'object') return value;
    objects.set(path, value as Json);
    if (!reads.has(path)) reads.set(path, new Set());
    return new Proxy(value as Json, {
      get(target, key) {
        const v = Reflect.get(target, key);
        if (typeof key !== 'string') return v;
        reads.get(path)?.add(key);
        return wrap(v, `${path}/${key}`);
      },
      ownKeys(target) {
        // A validator that enumerates keys treats the object as a map (labels, annotations…): all keys are known.
        for (const k of Object.keys(target)) reads.get(path)?.add(k);
        return Reflect.ownKeys(target);
      },
    });
  };

  const problems: SchemaProblem[] = [];
  if (!validate(wrap(obj, ''))) {
    for (const e of validate.errors ?? []) problems.push({ path: e.instancePath || '/', message: `${e.keyword}: ${e.message ?? JSON.stringify(e.params)}` });
  }
  for (const [path, o] of objects) {
    const seen = reads.get(path) ?? new Set();
    if (Array.isArray(o)) continue;
    for (const key of Object.keys(o)) if (!seen.has(key)) problems.push({ path: `${path}/${key}`, message: 'unknown field' });
  }
  return problems;
}
