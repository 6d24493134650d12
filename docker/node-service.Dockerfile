# Image for a node-only livelab service (whoami, work-server, work-client).
# Context: dist/docker/<app> made by tools/docker/prepare-context.mjs (bundle + production packages only).
# Build: npx nx run <app>:docker-build   (IMAGE_REGISTRY, IMAGE_TAG, BASE_IMAGE override the defaults)
ARG BASE_IMAGE=node:22-bookworm-slim

FROM ${BASE_IMAGE} AS app
WORKDIR /app
COPY node_modules ./node_modules
# Native modules (better-sqlite3) come built for the workspace's Node: rebuild them only if this base image's
# Node has another ABI (needs the network and build tools, which stay in this stage).
RUN if [ -d node_modules/better-sqlite3 ] && ! node -e "require('/app/node_modules/better-sqlite3')" 2>/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
      && cd node_modules/better-sqlite3 && npx --yes node-gyp@11 rebuild --release; \
    fi
COPY package.json ./
COPY dist ./dist

FROM ${BASE_IMAGE}
ARG APP
ARG VERSION=0.1.0
ARG PORT=8080
ARG HEALTH_PORT=8080
LABEL org.opencontainers.image.title="livelab ${APP}" \
      org.opencontainers.image.description="livelab ${APP} service" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://example.invalid/livelab" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production LIVELAB_APP=${APP} HEALTH_PORT=${HEALTH_PORT} WHOAMI_PORT_NUMBER=8080
WORKDIR /app
COPY --from=app --chown=0:0 /app /app
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN mkdir -p /docker-entrypoint.d /var/lib/livelab && chown 10001:10001 /var/lib/livelab
USER 10001:10001
EXPOSE ${PORT}
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
