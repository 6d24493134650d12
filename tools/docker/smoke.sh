#!/usr/bin/env bash
# `npm run test:images` (CI): start a throw-away Docker daemon, make the base image, build every image through
# `nx run-many -t docker-build`, run the smoke checks, and stop the daemon and everything it ran, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/docker/docker-env.sh
trap docker_down EXIT
docker_up
base_image
echo "image smoke: base image $BASE_IMAGE, daemon $DOCKER_HOST"
NX_DAEMON=false NX_TUI=false npx nx run-many -t docker-build --parallel=1 --outputStyle=static
node tools/docker/smoke.mjs
