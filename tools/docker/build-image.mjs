#!/usr/bin/env node
// `nx run <app>:docker-build`: prepare the context and build <IMAGE_REGISTRY>/<app>:<IMAGE_TAG>.
// Env: IMAGE_REGISTRY (default livelab), IMAGE_TAG (default <version>-<git sha>, tools/docker/image-tag.mjs),
// BASE_IMAGE (default the Dockerfile's node:22-bookworm-slim), FFMPEG_BASE (media images: a Debian bookworm image,
// default debian:bookworm-slim), DOCKER (default docker).
// `node tools/docker/build-image.mjs work-postgres`: the PostgreSQL image of k8s/components/postgres (no app
// bundle: docker/postgres.Dockerfile on the Debian image FFMPEG_BASE names, default debian:bookworm-slim).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gitRevision, imageTag, root, version } from './image-tag.mjs';

const app = process.argv[2];
const IMAGES = {
  packager: { dockerfile: 'media-service.Dockerfile', port: 8080, health: 8080 },
  generator: { dockerfile: 'media-service.Dockerfile', port: 8081, health: 8081 },
  whoami: { dockerfile: 'node-service.Dockerfile', port: 8080, health: 8080 },
  'work-server': { dockerfile: 'node-service.Dockerfile', port: 8090, health: 8090 },
  'work-client': { dockerfile: 'node-service.Dockerfile', port: 8091, health: 8091 },
};
if (app === 'work-postgres') {
  const image = `${process.env.IMAGE_REGISTRY || 'livelab'}/${app}:${imageTag()}`;
  const context = join(root, 'dist/docker', app);
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  cpSync(join(root, 'docker/postgres-entrypoint.sh'), join(context, 'postgres-entrypoint.sh'));
  const args = ['build', '--network', 'host', '-f', join(root, 'docker/postgres.Dockerfile'), '-t', image, '--build-arg', `VERSION=${version}`, '--build-arg', `REVISION=${gitRevision()}`,
    ...(process.env.FFMPEG_BASE ? ['--build-arg', `BASE_IMAGE=${process.env.FFMPEG_BASE}`] : []), context];
  console.log(`docker ${args.join(' ')}`);
  execFileSync(process.env.DOCKER || 'docker', args, { stdio: 'inherit', env: { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? '0' } });
  console.log(`built ${image}`);
  process.exit(0);
}
const spec = IMAGES[app];
if (!spec) {
  console.error(`no image for "${app}" (known: ${Object.keys(IMAGES).join(', ')})`);
  process.exit(2);
}
const image = `${process.env.IMAGE_REGISTRY || 'livelab'}/${app}:${imageTag()}`;
execFileSync(process.execPath, [join(root, 'tools/docker/prepare-context.mjs'), app], { stdio: 'inherit' });
const args = ['build', '--network', 'host', '-f', join(root, 'docker', spec.dockerfile), '-t', image,
  '--build-arg', `APP=${app}`, '--build-arg', `VERSION=${version}`, '--build-arg', `REVISION=${gitRevision()}`, '--build-arg', `PORT=${spec.port}`, '--build-arg', `HEALTH_PORT=${spec.health}`,
  ...(process.env.BASE_IMAGE ? ['--build-arg', `BASE_IMAGE=${process.env.BASE_IMAGE}`] : []),
  ...(process.env.FFMPEG_BASE && spec.dockerfile.startsWith('media') ? ['--build-arg', `FFMPEG_BASE=${process.env.FFMPEG_BASE}`] : []),
  join(root, 'dist/docker', app)];
console.log(`docker ${args.join(' ')}`);
// The legacy builder (DOCKER_BUILDKIT=0) needs no buildx plugin, which these machines lack.
execFileSync(process.env.DOCKER || 'docker', args, { stdio: 'inherit', env: { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? '0' } });
console.log(`built ${image}`);
