// Offline validation of the Kubernetes manifests in k8s/: render, schema-check, policy rules.
export { render, kubectlPath, type K8sObject } from './render';
export { checkSchema, schemaModule, type SchemaProblem } from './schema-check';
export * from './rules';
export { appOfImage, envNamesAreRead, envNamesReadBy, secretKeysDocumented, secretKeysUsed, secretsMatchDeployDoc } from './consistency';
