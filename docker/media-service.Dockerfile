# Image for a media service (packager, generator): node + ffmpeg + DejaVu fonts + tini.
# Context: dist/docker/<app> made by tools/docker/prepare-context.mjs.
# ffmpeg is built in its own stage from Debian bookworm's source package with only the components livelab uses
# (docker/build-ffmpeg.sh); the binary and the few shared libraries it links (ldd) reach the final stage. Debian's
# binary package would bring ~235 packages (libllvm, mesa, SDL, … ~495 MB).
ARG BASE_IMAGE=node:22-bookworm-slim
# Any Debian bookworm image (CI uses its debootstrap import); independent of BASE_IMAGE, so one ffmpeg stage is
# cached for every Node base.
ARG FFMPEG_BASE=debian:bookworm-slim

FROM ${FFMPEG_BASE} AS ffmpeg
RUN printf '%s\n' 'deb-src http://deb.debian.org/debian bookworm main' 'deb-src http://deb.debian.org/debian bookworm-updates main' \
      'deb-src http://deb.debian.org/debian-security bookworm-security main' > /etc/apt/sources.list.d/deb-src.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends build-essential dpkg-dev nasm pkg-config libx264-dev libfreetype-dev \
      fonts-dejavu-core tini patchelf ca-certificates \
 && mkdir /src && cd /src && apt-get source --download-only ffmpeg && tar xf ffmpeg_*.orig.tar.xz && rm -f ./*.tar.* ./*.dsc \
 && rm -rf /var/lib/apt/lists/*
COPY build-ffmpeg.sh /usr/local/bin/build-ffmpeg.sh
RUN sh /usr/local/bin/build-ffmpeg.sh
COPY collect-ffmpeg.sh /usr/local/bin/collect-ffmpeg.sh
RUN sh /usr/local/bin/collect-ffmpeg.sh /opt/ffmpeg/bin /out

FROM ${BASE_IMAGE} AS app
WORKDIR /app
COPY native-modules.txt ./
RUN if [ -s native-modules.txt ]; then \
      apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*; \
    fi
COPY node_modules ./node_modules
COPY package.json ./
COPY build-native.sh /usr/local/bin/build-native.sh
RUN sh /usr/local/bin/build-native.sh
COPY dist ./dist

FROM ${BASE_IMAGE}
ARG APP
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG PORT=8080
ARG HEALTH_PORT=8080
LABEL org.opencontainers.image.title="livelab ${APP}" \
      org.opencontainers.image.description="livelab ${APP} service (ffmpeg inside)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://example.invalid/livelab" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production LIVELAB_APP=${APP} HEALTH_PORT=${HEALTH_PORT}
COPY --from=ffmpeg /out/ /
WORKDIR /app
COPY --from=app --chown=0:0 /app /app
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY wait-for-tcp.mjs /usr/local/lib/livelab/wait-for-tcp.mjs
COPY check-native.cjs /usr/local/lib/livelab/check-native.cjs
COPY check-ffmpeg.sh /usr/local/lib/livelab/check-ffmpeg.sh
# Self-checks: every ffmpeg feature the generator and the remux use is there, and native addons load.
RUN sh /usr/local/lib/livelab/check-ffmpeg.sh && node /usr/local/lib/livelab/check-native.cjs \
 && mkdir -p /docker-entrypoint.d /var/lib/livelab/media && chown -R 10001:10001 /var/lib/livelab
USER 10001:10001
EXPOSE ${PORT}
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"]
