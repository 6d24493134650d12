# Image for a media service (packager, generator): node + Debian's ffmpeg and DejaVu fonts.
# Context: dist/docker/<app> made by tools/docker/prepare-context.mjs.
ARG BASE_IMAGE=node:22-bookworm-slim

FROM ${BASE_IMAGE} AS media-base
# tini reaps ffmpeg's orphans and forwards signals; ffmpeg + fonts draw and encode the test signals.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*

FROM media-base
ARG APP
ARG VERSION=0.1.0
ARG PORT=8080
ARG HEALTH_PORT=8080
LABEL org.opencontainers.image.title="livelab ${APP}" \
      org.opencontainers.image.description="livelab ${APP} service (ffmpeg inside)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://example.invalid/livelab" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production LIVELAB_APP=${APP} HEALTH_PORT=${HEALTH_PORT}
WORKDIR /app
COPY node_modules ./node_modules
COPY package.json ./
COPY dist ./dist
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN mkdir -p /docker-entrypoint.d /var/lib/livelab/media && chown -R 10001:10001 /var/lib/livelab
USER 10001:10001
EXPOSE ${PORT}
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"]
