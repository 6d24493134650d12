#!/usr/bin/env node
// `nx run <app>:docker-build`: prepare the context and build <IMAGE_REGISTRY>/<app>:<IMAGE_TAG>.
// Env: IMAGE_REGISTRY (default livelab), IMAGE_TAG (default <version>-<git sha>, tools/docker/image-tag.mjs),
// BASE_IMAGE (default the Dockerfile's node:22-bookworm-slim), FFMPEG_BASE (media images: a Debian bookworm image,
// default debian:bookworm-slim), DOCKER (default docker).
// `node tools/docker/build-image.mjs work-postgres|edge`: images with no Node app (Debian's package on the Debian
// image FFMPEG_BASE names, default debian:bookworm-slim), built from their own docker/<dir> context.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gitRevision, imageTag, root, version } from './image-tag.mjs';

const app = process.argv[2];
/** @type {Record<string, { dockerfile: string; port?: number; health?: number; context?: string; debian?: boolean }>} */
const IMAGES = {
  packager: { dockerfile: 'media-service.Dockerfile', port: 8080, health: 8088 },
  generator: { dockerfile: 'media-service.Dockerfile', port: 8081, health: 8081 },
  whoami: { dockerfile: 'node-service.Dockerfile', port: 8080, health: 8080 },
  'work-server': { dockerfile: 'node-service.Dockerfile', port: 8090, health: 8090 },
  'work-client': { dockerfile: 'node-service.Dockerfile', port: 8091, health: 8091 },
  // No Node: Debian's varnish with the VCL, its context is docker/edge itself (no prepared dist/docker/<app>).
  edge: { dockerfile: 'edge/edge.Dockerfile', context: 'docker/edge', debian: true },
  // k8s/components/postgres: Debian's postgresql-15 with the official image's env contract (not an app).
  'work-postgres': { dockerfile: 'postgres/postgres.Dockerfile', context: 'docker/postgres', debian: true },
};
const spec = IMAGES[app];
if (!spec) {
  console.error(`no image for "${app}" (known: ${Object.keys(IMAGES).join(', ')})`);
  process.exit(2);
}
const image = `${process.env.IMAGE_REGISTRY || 'livelab'}/${app}:${imageTag()}`;
if (!spec.context) execFileSync(process.execPath, [join(root, 'tools/docker/prepare-context.mjs'), app], { stdio: 'inherit' });
const args = spec.debian
  ? ['build', '--network', 'host', '-f', join(root, 'docker', spec.dockerfile), '-t', image,
    '--build-arg', `VERSION=${version}`, '--build-arg', `REVISION=${gitRevision()}`,
    // The Debian bookworm image the media images' ffmpeg stage uses (CI: its debootstrap import).
    ...(process.env.FFMPEG_BASE ? ['--build-arg', `DEBIAN_BASE=${process.env.FFMPEG_BASE}`] : []),
    join(root, spec.context ?? 'docker')]
  : ['build', '--network', 'host', '-f', join(root, 'docker', spec.dockerfile), '-t', image,
    '--build-arg', `APP=${app}`, '--build-arg', `VERSION=${version}`, '--build-arg', `REVISION=${gitRevision()}`, '--build-arg', `PORT=${spec.port}`, '--build-arg', `HEALTH_PORT=${spec.health}`,
    ...(process.env.BASE_IMAGE ? ['--build-arg', `BASE_IMAGE=${process.env.BASE_IMAGE}`] : []),
    ...(process.env.FFMPEG_BASE && spec.dockerfile.startsWith('media') ? ['--build-arg', `FFMPEG_BASE=${process.env.FFMPEG_BASE}`] : []),
    join(root, 'dist/docker', app)];
console.log(`docker ${args.join(' ')}`);
// The legacy builder (DOCKER_BUILDKIT=0) needs no buildx plugin, which these machines lack.
execFileSync(process.env.DOCKER || 'docker', args, { stdio: 'inherit', env: { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? '0' } });
console.log(`built ${image}`);
