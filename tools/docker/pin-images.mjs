#!/usr/bin/env node
// Point the office overlay at the images of one build — what `kustomize edit set image` would do, without the
// standalone kustomize binary. Rewrites `images:` in k8s/overlays/office/kustomization.yaml (comments kept).
//   node tools/docker/pin-images.mjs --registry registry.office.lan/livelab [--tag 0.1.0-abc1234] [--digests]
// --tag defaults to this checkout's build tag (tools/docker/image-tag.mjs). --digests (after `docker push`) pins
// each image by the registry digest docker recorded for the push: the reference can never move.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { imageTag, root } from './image-tag.mjs';

const { values } = parseArgs({ options: { registry: { type: 'string' }, tag: { type: 'string' }, digests: { type: 'boolean', default: false }, file: { type: 'string' } } });
if (!values.registry) {
  console.error('usage: pin-images.mjs --registry <registry/prefix> [--tag <tag>] [--digests]');
  process.exit(2);
}
const file = values.file ?? join(root, 'k8s/overlays/office/kustomization.yaml');
const tag = values.tag ?? imageTag();
const doc = parseDocument(readFileSync(file, 'utf8'));
const images = /** @type {import('yaml').YAMLSeq<import('yaml').YAMLMap> | undefined} */ (doc.get('images'));
if (!images?.items?.length) throw new Error(`${file}: no images: list`);
for (const entry of images.items) {
  const app = entry.get('name');
  const name = `${values.registry.replace(/\/$/, '')}/${app}`;
  entry.set('newName', name);
  if (values.digests) {
    const repoDigests = execFileSync('docker', ['image', 'inspect', '-f', '{{range .RepoDigests}}{{println .}}{{end}}', `${name}:${tag}`], { encoding: 'utf8' })
      .split('\n')
      .filter((d) => d.startsWith(`${name}@`));
    if (!repoDigests.length) throw new Error(`${name}:${tag} has no digest from ${values.registry}: docker push it first`);
    entry.delete('newTag');
    entry.set('digest', repoDigests[0].slice(name.length + 1));
  } else {
    entry.delete('digest');
    entry.set('newTag', tag);
  }
  console.log(`${app} → ${name}${values.digests ? `@${entry.get('digest')}` : `:${tag}`}`);
}
writeFileSync(file, doc.toString({ lineWidth: 0 }));
