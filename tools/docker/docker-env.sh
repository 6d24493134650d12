#!/usr/bin/env bash
# A throw-away Docker daemon for CI and local image tests (no daemon runs on these machines by default):
# Debian's docker.io under a temporary root, no bridge, no iptables — containers run with --network host.
# Also makes the base image without a registry: debootstrap bookworm (minbase) + this machine's node binary,
# cached in /var/cache/livelab between runs on one machine.
#   source tools/docker/docker-env.sh && docker_up && base_image   → exports DOCKER_HOST, BASE_IMAGE
#   docker_down                                                     → stops the daemon and everything it ran
set -euo pipefail

docker_up() {
  if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    echo "docker-env: installing docker.io debootstrap" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
  fi
  DOCKER_ROOT=$(mktemp -d /tmp/livelab-docker.XXXXXX)
  export DOCKER_ROOT
  export DOCKER_HOST="unix://$DOCKER_ROOT/docker.sock"
  dockerd --data-root "$DOCKER_ROOT/data" --exec-root "$DOCKER_ROOT/exec" --pidfile "$DOCKER_ROOT/pid" \
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

base_image() {
  local node_version cache tag
  node_version=$(node --version)
  cache=/var/cache/livelab/base-bookworm-node-${node_version}.tar
  tag="livelab-base:bookworm-node-${node_version#v}"
  if [ ! -f "$cache" ]; then
    echo "docker-env: making the base image (debootstrap bookworm + node $node_version)" >&2
    local rootfs
    rootfs=$(mktemp -d /tmp/livelab-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" >/dev/null
    install -m 0755 "$(command -v node)" "$rootfs/usr/local/bin/node"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    mkdir -p /var/cache/livelab
    tar -C "$rootfs" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
    rm -rf "$rootfs"
  fi
  docker import "$cache" "$tag" >/dev/null
  export BASE_IMAGE="$tag"
}
