# A Node base image made without a registry (tools/docker/docker-env.sh): Debian bookworm (debootstrap minbase,
# imported as DEBIAN_IMAGE) + one Node release laid out like the official node images: /usr/local/bin/node,
# /usr/local/include/node (headers, so native modules build offline), /usr/local/lib/node_modules/npm.
# Context: a folder holding bin/, include/, lib/ for /usr/local.
ARG DEBIAN_IMAGE=livelab-debian:bookworm
FROM ${DEBIAN_IMAGE}
COPY . /usr/local/
RUN node --version && npm --version
CMD ["node"]
