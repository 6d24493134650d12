# The edge cache (k8s/components/edge): Debian bookworm's varnish 7.1 package with livelab's VCL. No Node here.
# Context: docker/edge (tools/docker/build-image.mjs edge). Varnish compiles its VCL with the C compiler at start, so
# gcc and libc6-dev (the package's own dependencies) stay in the image.
ARG DEBIAN_BASE=debian:bookworm-slim
FROM ${DEBIAN_BASE}
ARG VERSION=0.1.0
ARG REVISION=unknown
# policy-rc.d: the package's postinst must not start a varnishd during the build (the build runs on the host network).
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d \
 && apt-get update \
 && apt-get install -y --no-install-recommends varnish \
 && rm -rf /var/lib/apt/lists/* /etc/varnish/default.vcl /usr/sbin/policy-rc.d \
 && groupadd --gid 10001 livelab && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin livelab \
 && rm -rf /var/lib/varnish && install -d -o 10001 -g 10001 -m 0755 /var/lib/varnish
COPY default.vcl origin.vcl /etc/varnish/livelab/
COPY entrypoint.sh /usr/local/bin/edge-entrypoint
RUN chmod 0755 /usr/local/bin/edge-entrypoint && varnishd -C -f /etc/varnish/livelab/default.vcl -p vcl_path=/etc/varnish/livelab -n /tmp/vcc >/dev/null && rm -rf /tmp/vcc
LABEL org.opencontainers.image.title="livelab-edge" \
      org.opencontainers.image.description="livelab edge cache: Varnish in front of the packager origin" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
USER 10001:10001
# Working directory (shared memory log, compiled VCL) and the generated origin.vcl: a volume, so the root
# filesystem can be read-only.
VOLUME ["/var/lib/varnish"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["varnishstat", "-n", "/var/lib/varnish/edge", "-1", "-f", "MAIN.uptime"]
ENTRYPOINT ["/usr/local/bin/edge-entrypoint"]
