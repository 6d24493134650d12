# PostgreSQL 15 for k8s/components/postgres (work-postgres): Debian bookworm's postgresql-15 package on the Debian
# base every livelab image starts from, because there is no registry to pull the official postgres:15 image from.
# It keeps the official image's contract the component relies on: uid/gid 999 = postgres, POSTGRES_USER /
# POSTGRES_DB / POSTGRES_PASSWORD(_FILE) / PGDATA, initdb on the first start, the server binaries (pg_isready,
# pg_ctl) on PATH, password (scram-sha-256) for TCP clients. Runs with a read-only root: writes go to PGDATA,
# /var/run/postgresql and /tmp (volumes).
# Build: node tools/docker/build-image.mjs work-postgres   (BASE_IMAGE: a Debian bookworm image; smoke.sh passes
# the registry-free one from tools/docker/docker-env.sh)
ARG DEBIAN_BASE=debian:bookworm-slim
FROM ${DEBIAN_BASE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="livelab work-postgres" \
      org.opencontainers.image.description="PostgreSQL 15 (Debian bookworm's package) for the livelab work server" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="PostgreSQL"
# The user first, with the official image's ids, so the package's postinst finds it; no cluster made at install
# (the entrypoint makes one in PGDATA).
RUN groupadd -r -g 999 postgres && useradd -r -u 999 -g 999 -d /var/lib/postgresql -s /bin/sh postgres \
 && mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main.conf \
 && apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql && chown -R 999:999 /var/lib/postgresql /var/run/postgresql \
 && chmod 3777 /var/run/postgresql
# (3777: the socket directory is a volume in Kubernetes — an emptyDir is world-writable — and Docker's --tmpfs
# takes the image directory's mode but not its owner.)
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
USER 999:999
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/bin/sh", "/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
