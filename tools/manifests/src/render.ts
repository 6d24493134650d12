// Render kustomizations offline with kubectl's built-in kustomize and parse the YAML stream.
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

export function kubectlPath(): string {
  const candidates = [process.env['KUBECTL'], 'kubectl'].filter((c): c is string => !!c);
  for (const c of candidates) {
    try {
      execFileSync(c, ['version', '--client'], { stdio: 'ignore' });
      return c;
    } catch {
      /* next */
    }
  }
  throw new Error('kubectl not found: install kubectl ≥ 1.27 (kustomize 5) or set KUBECTL=/path/to/kubectl (.ci/run installs one)');
}

export function render(dir: string): K8sObject[] {
  const out = execFileSync(kubectlPath(), ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject)
    .filter(Boolean);
}
